// ${a.b}, relative ${.b}/${..b}, strings with several interpolations, typed whole values,
// ${oc.env:VAR,default}, escapes, and the errors (cycles, unknown resolvers, unset variables).
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { composeWithSchema } from '../../src/config/index.js';
import { errorOf, writeTree } from './helpers.js';

const anything = z.record(z.string(), z.any());

function resolve(yaml: string, overrides: string[] = []) {
  return composeWithSchema(anything, { configDir: writeTree({ 'config.yaml': yaml }), overrides }).config;
}

const ENV = 'RVOS_TEST_INTERP_VAR';
afterEach(() => {
  delete process.env[ENV];
});

describe('interpolation', () => {
  it('absolute keys keep the target type; chains resolve', () => {
    const c = resolve('a: {n: 3, list: [1, 2], map: {x: 1}}\nb: ${a.n}\nc: ${a.list}\nd: ${a.map}\ne: ${b}\nf: ${a.list.1}\n');
    expect(c.b).toBe(3);
    expect(c.c).toEqual([1, 2]);
    expect(c.d).toEqual({ x: 1 });
    expect(c.e).toBe(3);
    expect(c.f).toBe(2);
  });

  it('relative keys: ${.x} is a sibling, ${..x} a sibling of the parent', () => {
    const c = resolve('top: 1\nouter:\n  v: 2\n  inner:\n    v: 3\n    me: ${.v}\n    up: ${..v}\n    upup: ${...top}\n');
    expect(c.outer.inner).toEqual({ v: 3, me: 3, up: 2, upup: 1 });
  });

  it('interpolations inside strings become text, relative ones included', () => {
    const c = resolve('run:\n  root: results\n  name: exp\n  dir: ${run.root}/${.name}-${seed}.log\nseed: 7\n');
    expect(c.run.dir).toBe('results/exp-7.log');
  });

  it('sees command-line overrides of the target', () => {
    expect(resolve('a: 1\nb: ${a}\n', ['a=5']).b).toBe(5);
    expect(resolve('a: 1\nb: 2\n', ['b=${a}']).b).toBe(1);
    expect(resolve('a: 1\nb: []\n', ['b=[${a},2]']).b).toEqual([1, 2]);
  });

  it('oc.env: variable, default, typed whole values, null default, quoted default', () => {
    const yaml = `a: \${oc.env:${ENV},12}\nb: x-\${oc.env:${ENV},12}\nc: \${oc.env:${ENV},null}\nd: \${oc.env:${ENV},'1,2'}\ne: \${oc.env:${ENV},\${a}}\n`;
    expect(resolve(yaml)).toEqual({ a: 12, b: 'x-12', c: null, d: '1,2', e: 12 });
    process.env[ENV] = 'data/here';
    expect(resolve(yaml)).toMatchObject({ a: 'data/here', b: 'x-data/here', c: 'data/here' });
    process.env[ENV] = '0.5';
    expect(resolve(yaml).a).toBe(0.5);
  });

  it('an unset variable without default is an error naming key and file:line', () => {
    const msg = errorOf(() => resolve(`x: 1\npath: \${oc.env:${ENV}}\n`)).message;
    expect(msg).toMatch(new RegExp(`path \\(\\S*config\\.yaml:2\\): environment variable ${ENV} is not set`));
  });

  it('\\${ is a literal ${', () => {
    expect(resolve('a: 1\nb: "cost \\\\${a}"\n').b).toBe('cost ${a}');
  });

  it('cycles, unknown resolvers, maps inside strings and unclosed braces are errors with file:line', () => {
    expect(errorOf(() => resolve('a: ${b}\nb: ${a}\n')).message).toMatch(/config\.yaml:\d\): interpolation cycle (a -> b -> a|b -> a -> b)/);
    expect(errorOf(() => resolve('a: ${now:}\n')).message).toMatch(/a \(\S*config\.yaml:1\): unknown resolver 'now'/);
    expect(errorOf(() => resolve('m: {x: 1}\ns: "v=${m}"\n')).message).toMatch(
      /s \(\S*config\.yaml:2\): '\$\{m\}' is a mapping and cannot be placed inside a string/,
    );
    expect(errorOf(() => resolve('a: 1\nb: ${a\n')).message).toMatch(/b \(\S*config\.yaml:2\): unclosed interpolation/);
    expect(errorOf(() => resolve('a: ${...x}\n')).message).toContain('goes above the top of the config');
  });
});
