// The defaults list: _self_ ordering, defaults inside group files, experiments with
// `# @package _global_` and `override`, and the group forms of command-line overrides.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { composeWithSchema } from '../../src/config/index.js';
import { errorOf, writeTree } from './helpers.js';

const anything = z.record(z.string(), z.unknown());

const FILES = {
  'config.yaml': ['defaults:', '  - db: mysql', '  - server: apache', '  - _self_', '  - experiment: null', 'name: primary', 'db:', '  port: 1', ''].join('\n'),
  'db/base.yaml': 'driver: ???\nport: ???\nuser: root\n',
  'db/mysql.yaml': 'defaults: [base]\ndriver: mysql\nport: 3306\n',
  'db/postgres.yaml': 'defaults: [base]\ndriver: postgres\nport: 5432\n',
  'server/apache.yaml': 'port: 80\nurl: http://host:${server.port}/${.path}\npath: api\n',
  'server/nginx.yaml': 'port: 81\nurl: nginx\npath: x\n',
  'extra/one.yaml': 'k: 1\n',
  'experiment/fast.yaml': '# @package _global_\ndefaults:\n  - override /db: postgres\nname: fast\nserver:\n  port: 8080\n',
  'experiment/bad.yaml': '# @package _global_\ndefaults:\n  - override /cache: redis\n',
};

function compose(files: Record<string, string>, overrides: string[] = []) {
  const configDir = writeTree(files);
  return composeWithSchema(anything, { configDir, overrides });
}

type Db = { driver: string; port: number; user: string };
type Server = { port: number; url: string };

describe('defaults list', () => {
  it('merges group options, nested defaults ([base]) and _self_ last: the primary config wins', () => {
    const { config, choices } = compose(FILES);
    expect(config.db).toEqual({ driver: 'mysql', port: 1, user: 'root' });
    expect(config.name).toBe('primary');
    expect((config.server as Server).url).toBe('http://host:80/api');
    expect(choices).toEqual({ db: 'mysql', server: 'apache' });
  });

  it('_self_ first lets the group options win; no _self_ means last', () => {
    const selfFirst = FILES['config.yaml'].replace('  - db: mysql', '  - _self_\n  - db: mysql').replace('  - _self_\n  - experiment', '  - experiment');
    expect((compose({ ...FILES, 'config.yaml': selfFirst }).config.db as Db).port).toBe(3306);
    const noSelf = FILES['config.yaml'].replace('  - _self_\n', '');
    expect((compose({ ...FILES, 'config.yaml': noSelf }).config.db as Db).port).toBe(1);
  });

  it('an experiment (@package _global_) sets top-level keys and overrides group choices', () => {
    const { config, choices } = compose(FILES, ['experiment=fast']);
    expect(choices).toEqual({ db: 'postgres', server: 'apache', experiment: 'fast' });
    expect(config.db).toEqual({ driver: 'postgres', port: 1, user: 'root' });
    expect(config.name).toBe('fast');
    expect((config.server as Server).url).toBe('http://host:8080/api');
  });

  it('a command-line choice beats an experiment override', () => {
    expect(compose(FILES, ['experiment=fast', 'db=mysql']).choices.db).toBe('mysql');
    expect(compose(FILES, ['db=mysql', 'experiment=fast']).choices.db).toBe('mysql');
  });

  it('~group removes a group; +group=option appends one; ++ adds or overrides', () => {
    const removed = compose(FILES, ['~server']);
    expect(removed.config.server).toBeUndefined();
    expect(removed.choices.server).toBeUndefined();
    expect(compose(FILES, ['+extra=one']).config.extra).toEqual({ k: 1 });
    expect(compose(FILES, ['++extra=one']).config.extra).toEqual({ k: 1 });
    expect(compose(FILES, ['++db=postgres']).choices.db).toBe('postgres');
    expect(errorOf(() => compose(FILES, ['extra=one'])).message).toContain(
      "Could not override 'extra' (command-line override 'extra=one'): the group is not in the defaults list. To add it, use +extra=one",
    );
    expect(errorOf(() => compose(FILES, ['+db=postgres'])).message).toContain("group 'db' is already chosen at ");
  });

  it('an unknown option names the override or file:line and lists the options', () => {
    const msg = errorOf(() => compose(FILES, ['db=postgress'])).message;
    expect(msg).toContain("command-line override 'db=postgress': unknown option 'postgress' for group 'db'");
    expect(msg).toContain("Did you mean 'postgres'?");
    expect(msg).toContain('Available: base, mysql, postgres');
    const inFile = errorOf(() => compose({ ...FILES, 'config.yaml': FILES['config.yaml'].replace('server: apache', 'server: tomcat') })).message;
    expect(inFile).toMatch(/config\.yaml:3: unknown option 'tomcat' for group 'server'.*Available: apache, nginx/);
  });

  it('a mandatory group (???) must be chosen', () => {
    const files = { ...FILES, 'config.yaml': FILES['config.yaml'].replace('server: apache', 'server: ???') };
    const msg = errorOf(() => compose(files)).message;
    expect(msg).toMatch(/config\.yaml:3: group 'server' is mandatory \(\?\?\?\); choose one on the command line, e\.g\. server=apache/);
    expect((compose(files, ['server=nginx']).config.server as Server).port).toBe(81);
  });

  it('an experiment without # @package _global_ is rejected with the fix', () => {
    const files = { ...FILES, 'experiment/plain.yaml': 'name: plain\n' };
    expect(errorOf(() => compose(files, ['experiment=plain'])).message).toMatch(
      /experiment\/plain\.yaml:1: an experiment config must start with the line '# @package _global_'/,
    );
  });

  it('override of a group that is not in the defaults list is an error naming the line', () => {
    expect(errorOf(() => compose(FILES, ['experiment=bad'])).message).toMatch(/experiment\/bad\.yaml:3: cannot override group 'cache'/);
  });

  it('choosing the same group twice without override is an error', () => {
    const twice = FILES['config.yaml'].replace('  - server: apache', '  - server: apache\n  - server: nginx');
    expect(errorOf(() => compose({ ...FILES, 'config.yaml': twice })).message).toMatch(
      /config\.yaml:4: group 'server' is already chosen at .*config\.yaml:3; write 'override server: nginx'/,
    );
  });

  it('a # @package header places the content; include loops are reported', () => {
    const files = { ...FILES, 'server/apache.yaml': '# @package web.front\nport: 80\nurl: u\npath: p\n' };
    expect(compose(files).config.web).toEqual({ front: { port: 80, url: 'u', path: 'p' } });
    const loop = { ...FILES, 'db/mysql.yaml': 'defaults: [base]\n', 'db/base.yaml': 'defaults: [mysql]\n' };
    expect(errorOf(() => compose(loop)).message).toContain('Defaults lists include each other in a loop');
  });

  it('a missing primary config or missing included config names the file', () => {
    expect(errorOf(() => composeWithSchema(anything, { configDir: writeTree(FILES), configName: 'nope' })).message).toMatch(/nope\.yaml not found/);
    const files = { ...FILES, 'db/mysql.yaml': 'defaults: [bsae]\n' };
    expect(errorOf(() => compose(files)).message).toMatch(/db\/mysql\.yaml:1: config 'bsae' not found .*Did you mean 'base'\?/);
  });
});
