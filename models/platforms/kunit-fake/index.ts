// The fake-parent machine of the KUnit differential (msi-fuzz diff-kernel): the model side of
// kunit/ in the project. It is not a fuzzing platform (src/platforms.ts finds none here): its
// parents imitate contracts rather than follow a driver, and its job is to agree, line by
// line, with the real core running the same ops under UML.
export { FakeMachine, modelTrace } from './machine';
export { FakeParent, PARENT_HWIRQS, PS_QUOTA } from './parent';
export { KUNIT_FAKE_REVISIONS, findKunitFakeRevision } from './revisions';
export { MAX_DEVS, PARENTS, opTraceText, type KernelOp, type ParentName } from './ops';
