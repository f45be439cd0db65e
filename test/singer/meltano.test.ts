import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { repoRoot } from '../helpers/cli.js';
import { capabilities } from '../../connector/protocol/singer/commands.js';

/** The meltano.yml entry a user pastes, from the Singer page the README links to. */
function meltanoEntry(): { source: string; plugin: Record<string, any> } {
  for (const file of ['README.md', join('docs', 'singer.md')]) {
    const path = join(repoRoot, file);
    if (!existsSync(path)) continue;
    const block = [...readFileSync(path, 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => /name: tap-kaltura/.test(b));
    if (!block) continue;
    const doc = yaml.load(block) as { plugins: { extractors: Array<Record<string, any>> } };
    return { source: file, plugin: doc.plugins.extractors.find((p) => p.name === 'tap-kaltura')! };
  }
  throw new Error('no meltano.yml entry for tap-kaltura in README.md or docs/singer.md');
}

test('the documented meltano.yml entry runs the tap by its executable, declares its capabilities and every setting', () => {
  const { source, plugin } = meltanoEntry();
  assert.ok(plugin, `${source} has a tap-kaltura extractor`);
  assert.equal(plugin.pip_url, undefined, 'not a Python package');
  assert.equal(plugin.executable, 'tap-kaltura');
  assert.deepEqual(plugin.capabilities, capabilities, 'the capabilities --about declares; with "state" Meltano passes --state');

  const spec = JSON.parse(readFileSync(join(repoRoot, 'spec', 'spec.json'), 'utf8')).connectionSpecification;
  const settings = new Map<string, Record<string, any>>(plugin.settings.map((s: Record<string, any>) => [s.name, s]));
  assert.deepEqual([...settings.keys()].sort(), Object.keys(spec.properties).sort(), 'one setting per config key');
  assert.equal(settings.get('app_token')!.kind, 'password', 'the token is a secret to Meltano');
  for (const [name, property] of Object.entries(spec.properties) as Array<[string, Record<string, any>]>) {
    const setting = settings.get(name)!;
    if (property.enum) assert.deepEqual(setting.options.map((o: { value: string }) => o.value), property.enum, `${name} options`);
    else if (property.type === 'integer') assert.equal(setting.kind, 'integer', name);
    else if (property.type === 'boolean') assert.equal(setting.kind, 'boolean', name);
    if (property.default !== undefined) assert.equal(setting.value, property.default, `${name} default`);
    if (property.format === 'date-time') {
      // Meltano's date_iso8601 accepts (and its UI offers) a date alone, which the spec refuses.
      assert.equal(setting.kind, 'string', `${name}: a full date-time is typed as a string`);
      const example = property.examples?.[0] as string;
      assert.ok(new RegExp(property.pattern).test(example) && String(setting.description).includes(example), `${name}: the description shows an example the spec accepts (${example})`);
    }
  }
});
