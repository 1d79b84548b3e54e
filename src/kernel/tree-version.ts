// Which model revision follows a kernel of a given version: the core's lifecycle changed in
// v6.16 (msi_prepare() once at creation, msi_teardown() at removal) and v6.18 (msi_post_free()
// removed); kunit-fake's named revisions follow those releases (see its revisions.ts).

/** `6.12.118`, `7.2.0-rc3` -> the kunit-fake revision, or null below v6.12. */
export function modelRevisionForVersion(version: string): string | null {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (m === null) return null;
  const v = Number(m[1]) * 1000 + Number(m[2]);
  if (v < 6012) return null;
  if (v < 6016) return 'kernel-6.12';
  if (v < 6018) return 'kernel-6.16';
  return 'kernel-7.2';
}
