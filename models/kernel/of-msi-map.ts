// drivers/of/base.c of_map_id() and drivers/of/irq.c of_msi_xlate(): the DT "msi-map" binding.
// A host bridge (or any bus node) maps a requester ID, masked with "msi-map-mask", through
// entries <id-base msi-controller out-base length> to an ID on one MSI controller; a node
// without msi-map may name its controller with "msi-parent". The first matching entry wins;
// a map that matches nothing lets the ID through unchanged ("bypasses translation").
import { EFAULT, ENODEV } from './errno';

/** One msi-map entry, its phandle resolved to the controller's node name. */
export interface OfMsiMapEntry {
  readonly idBase: number;
  readonly controller: string;
  readonly outBase: number;
  readonly length: number;
}

/** The properties of a device tree node the MSI ID mapping reads. */
export interface OfNode {
  readonly name: string;
  readonly msiMap?: readonly OfMsiMapEntry[];
  /** msi-map-mask; absent: all bits (0xffffffff). */
  readonly msiMapMask?: number;
  /** msi-parent = <&controller id>: the controller, and the ID cell if #msi-cells = 1. */
  readonly msiParent?: { readonly controller: string; readonly id?: number };
}

/** of_map_id()'s result: 0 or a negative errno, the matched controller (NULL on bypass), the ID out. */
export interface OfMapResult {
  readonly ret: number;
  readonly controller: string | null;
  readonly id: number;
}

/**
 * of_map_id(np, id, "msi-map", "#msi-cells", "msi-map-mask", filter_np, arg) with one output
 * cell. `filter`: undefined is a NULL filter_np (a missing map means no translation); a value
 * is filter_np, whose pointee null accepts any controller and otherwise only that one.
 */
export function ofMapMsiId(np: OfNode, id: number, filter: { readonly controller: string | null } | undefined): OfMapResult {
  const map = np.msiMap;
  if (map === undefined) {
    if (filter !== undefined) return { ret: -ENODEV, controller: null, id };
    // Otherwise, no map implies no translation
    return { ret: 0, controller: null, id };
  }
  // The default is to select all bits; msi-map-mask can override it
  const mask = (np.msiMapMask ?? 0xffffffff) >>> 0;
  const masked = (mask & id) >>> 0;
  for (const e of map) {
    if (((e.idBase & ~mask) >>> 0) !== 0) return { ret: -EFAULT, controller: null, id };
    const off = (masked - e.idBase) >>> 0;
    if (masked < e.idBase || off >= e.length) continue;
    if (filter !== undefined && filter.controller !== null && filter.controller !== e.controller) continue;
    return { ret: 0, controller: e.controller, id: (off + e.outBase) >>> 0 };
  }
  // Bypasses translation
  return { ret: 0, controller: null, id };
}

/**
 * of_msi_xlate(): walk from the device up its parents (`chain`, nearest first) to the first node
 * with an msi-map (its translation is final, matched or not) or with an msi-parent naming the
 * controller. `filter.controller` null receives the first matched controller. Returns the ID.
 */
export function ofMsiXlate(chain: readonly OfNode[], filter: { controller: string | null } | undefined, idIn: number): number {
  let idOut = idIn;
  for (const node of chain) {
    const r = ofMapMsiId(node, idIn, filter);
    if (r.ret === 0) {
      // msi-map matched: use the translated ID and target node
      if (r.controller !== null) {
        idOut = r.id;
        if (filter !== undefined && filter.controller === null) filter.controller = r.controller;
      }
      // msi-map present but no match: stop walking
      break;
    }
    // -ENODEV: msi-map absent, check for msi-parent (of_check_msi_parent())
    if (filter !== undefined && node.msiParent !== undefined && (filter.controller === null || filter.controller === node.msiParent.controller)) {
      filter.controller = node.msiParent.controller;
      break;
    }
  }
  return idOut;
}
