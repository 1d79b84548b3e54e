// drivers/acpi/arm64/iort.c: the ACPI IORT ID mappings. A PCI root complex (one per segment), a
// named component (a platform device) or an SMMU maps input IDs through ID mapping entries
// <input base, number of IDs - 1, output base, output reference> to the next node, until an ITS
// group node is reached; the ITS group lists the ITSes (by GIC ITS ID) the output ID is valid on,
// the first of which gets the device (iort_get_device_domain()).
import { EAGAIN, ENXIO } from './errno';

export interface IortIdMapping {
  readonly inputBase: number;
  /** The field's value: the number of IDs in the range minus one (inclusive end). */
  readonly idCount: number;
  readonly outputBase: number;
  /** The node the output IDs belong to. */
  readonly outputRef: string;
  /** ACPI_IORT_ID_SINGLE_MAPPING: every input maps to outputBase (named components only). */
  readonly single?: boolean;
}

export type IortNode =
  | { readonly type: 'root-complex'; readonly name: string; readonly segment: number; readonly mappings: readonly IortIdMapping[] }
  | { readonly type: 'named-component'; readonly name: string; readonly device: string; readonly mappings: readonly IortIdMapping[] }
  | { readonly type: 'smmu'; readonly name: string; readonly mappings: readonly IortIdMapping[] }
  | { readonly type: 'its-group'; readonly name: string; readonly itsIds: readonly number[] };

export interface Iort {
  readonly nodes: ReadonlyMap<string, IortNode>;
}

/**
 * iort_id_map(): 0 and the output ID, -ENXIO when the input is outside the range, -EAGAIN for a
 * match at the very end of a range (the id_count off-by-one some firmware has: a later range that
 * starts there supersedes it)
 */
function iortIdMap(map: IortIdMapping, type: IortNode['type'], ridIn: number, checkOverlap: boolean): { rc: number; out: number } {
  if (map.single === true) {
    if (type === 'named-component' || type === 'root-complex') return { rc: 0, out: map.outputBase };
    return { rc: -ENXIO, out: 0 };
  }
  if (ridIn < map.inputBase || ridIn > map.inputBase + map.idCount) return { rc: -ENXIO, out: 0 };
  // We already found a mapping for this input ID at the end of another region: only one that
  // starts at it may supersede it
  if (checkOverlap && ridIn !== map.inputBase) return { rc: -ENXIO, out: 0 };
  const out = map.outputBase + (ridIn - map.inputBase);
  if (map.idCount > 0 && ridIn === map.inputBase + map.idCount) return { rc: -EAGAIN, out };
  return { rc: 0, out };
}

/**
 * iort_node_map_id(): follow the ID mappings from `start` to an ITS group (IORT_MSI_TYPE);
 * returns the group and the ID there, or null (the ID then goes through unchanged).
 */
export function iortNodeMapId(iort: Iort, start: IortNode, idIn: number): { group: IortNode & { type: 'its-group' }; id: number } | null {
  let node: IortNode | undefined = start;
  let id = idIn;
  for (let hops = 0; node !== undefined && hops < 8; hops++) {
    if (node.type === 'its-group') return { group: node, id };
    const mapId = id;
    let outRef: string | null = null;
    let matched: IortIdMapping | null = null;
    for (const map of node.mappings) {
      const r = iortIdMap(map, node.type, mapId, outRef !== null);
      if (r.rc === 0) {
        id = r.out;
        matched = map;
        break;
      }
      if (r.rc === -EAGAIN) {
        id = r.out;
        outRef = map.outputRef;
      }
    }
    if (matched === null && outRef === null) return null;
    node = iort.nodes.get(matched !== null ? matched.outputRef : (outRef as string));
  }
  return null;
}

/** iort_find_dev_node() for a PCI function: the root complex of its segment. */
export function iortRootComplex(iort: Iort, segment: number): IortNode | null {
  for (const n of iort.nodes.values()) if (n.type === 'root-complex' && n.segment === segment) return n;
  return null;
}

/** iort_find_dev_node() for a platform device: its named component. */
export function iortNamedComponent(iort: Iort, device: string): IortNode | null {
  for (const n of iort.nodes.values()) if (n.type === 'named-component' && n.device === device) return n;
  return null;
}
