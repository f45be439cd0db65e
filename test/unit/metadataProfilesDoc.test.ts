import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/cli.js';
import { profileStream } from '../../connector/streams/profileStreams.js';
import { RecordShaper } from '../../connector/engine/records.js';

// docs/metadata-profiles.md shows an XSD, a metadata XML, the schema and the record: they are what
// the code makes of them, so the page cannot drift from the connector.
const doc = readFileSync(join(repoRoot, 'docs', 'metadata-profiles.md'), 'utf8');
const example = doc.slice(doc.indexOf('## Example'));
const blocks = [...example.matchAll(/```(xml|json)\n([\s\S]*?)\n```/g)].map((m) => m[2]!);

test('the example in docs/metadata-profiles.md: the schema and the record are what the connector makes of its XSD and XML', () => {
  assert.equal(blocks.length, 4, 'an XSD, an XML, a schema and a record');
  const [xsd, xml, schema, record] = blocks as [string, string, string, string];
  const stream = profileStream({ id: 4021, metadataObjectType: '1', version: 3, name: 'Course information', systemName: 'CourseInfo', xsd }, 'metadata_course_info');
  assert.match(example, /The stream is `metadata_course_info`/);
  assert.deepEqual(JSON.parse(schema), stream.def.schema);
  const shaper = new RecordShaper(stream.def);
  const shaped = shaper.shape(stream.def.transform!({ id: 9000123, metadataProfileVersion: 3, objectId: '0_abcd1234', createdAt: 1619000000, updatedAt: 1619884999, xml }));
  assert.equal(shaper.repair(shaped), undefined);
  assert.deepEqual(JSON.parse(JSON.stringify(shaped)), JSON.parse(record));
});

test('the README shows the same record as docs/metadata-profiles.md, under the same stream name', () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('`metadata_<system name>`'));
  const json = /```json\n(.*)\n```/.exec(section)?.[1];
  assert.ok(json, 'a one-line record in the README after the profile row');
  assert.deepEqual(JSON.parse(json), JSON.parse(blocks[3]!));
  assert.match(section, /`CourseInfo` becomes\s+`metadata_course_info`/);
});
