// Only text a person reads is left out of the mutation population; a report's kind and site,
// and any string a decision reads, stay in.
import { textOnlyReason } from '../../src/mutate/text-ignorer';

type P = Parameters<typeof textOnlyReason>[0];

function argOf(callee: object, index: number, type = 'TemplateLiteral', call = 'CallExpression'): P {
  const parent: P = { node: { type: call, callee } as { type: string }, parentPath: null, key: 'expression' };
  return { node: { type }, parentPath: parent, key: index, listKey: 'arguments' };
}

const member = (name: string) => ({ type: 'MemberExpression', property: { type: 'Identifier', name } });

function propValue(key: string, type = 'StringLiteral'): P {
  const parent: P = { node: { type: 'ObjectProperty', key: { type: 'Identifier', name: key }, computed: false } as { type: string }, parentPath: null, key: 0, listKey: 'properties' };
  return { node: { type }, parentPath: parent, key: 'value' };
}

describe('text-only mutants', () => {
  test('printk lines, WARN and report messages and oops details are text', () => {
    expect(textOnlyReason(argOf(member('printk'), 0))).toMatch(/printk/);
    expect(textOnlyReason(argOf(member('warn'), 1))).toMatch(/warn/);
    expect(textOnlyReason(argOf(member('report'), 2, 'StringLiteral'))).toMatch(/report/);
    expect(textOnlyReason(argOf({ type: 'Identifier', name: 'KernelOops' }, 1, 'StringLiteral', 'NewExpression'))).toMatch(/KernelOops/);
  });

  test('a report kind, a WARN site and other arguments are not', () => {
    expect(textOnlyReason(argOf(member('report'), 0, 'StringLiteral'))).toBeUndefined();
    expect(textOnlyReason(argOf(member('warn'), 0, 'StringLiteral'))).toBeUndefined();
    expect(textOnlyReason(argOf(member('applied'), 0, 'StringLiteral'))).toBeUndefined();
    expect(textOnlyReason(argOf(member('shouldFail'), 0, 'StringLiteral'))).toBeUndefined();
  });

  test('descriptions and titles are text; ids, names and releases are not', () => {
    expect(textOnlyReason(propValue('description'))).toMatch(/description/);
    expect(textOnlyReason(propValue('title'))).toMatch(/title/);
    expect(textOnlyReason(propValue('id'))).toBeUndefined();
    expect(textOnlyReason(propValue('name'))).toBeUndefined();
    expect(textOnlyReason(propValue('release'))).toBeUndefined();
  });

  test('only string and template literals are judged', () => {
    expect(textOnlyReason({ ...argOf(member('printk'), 0), node: { type: 'ConditionalExpression' } })).toBeUndefined();
  });
});
