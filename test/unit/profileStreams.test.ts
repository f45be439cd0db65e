import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProfileXsd, UnreadableXsd } from '../../connector/streams/profileXsd.js';
import { profileStream, profileStreamBaseName, snakeCase } from '../../connector/streams/profileStreams.js';
import { catalogStream, resolveStreams, type ServerStreams } from '../../connector/streams/resolve.js';
import { KalturaApiError } from '../../connector/kaltura/errors.js';
import type { KalturaClient } from '../../connector/kaltura/client.js';
import { streams } from '../../connector/streams/index.js';
import { RecordShaper } from '../../connector/engine/records.js';
import { createAjv } from '../../connector/util/ajv.js';

// The XSD reading and the naming rules of profile streams, on XSDs the emulator does not write.

test('an XSD written by hand (xs: prefix, built-in types, a nested sequence) is read field by field in order', () => {
  const xsd = `<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="metadata"><xs:complexType><xs:sequence>
    <xs:element name="Code" type="xs:string" maxOccurs="1"/>
    <xs:element name="Count" type="xs:int"/>
    <xs:element name="Ratio" type="xs:decimal"/>
    <xs:element name="Public" type="xs:boolean"/>
    <xs:element name="Tags" type="textType" maxOccurs="5"/>
    <xs:element name="Level"><xs:simpleType><xs:restriction base="listType"><xs:enumeration value="A &amp; B"/><xs:enumeration value="C"/></xs:restriction></xs:simpleType></xs:element>
    <xs:element name="Since"><xs:complexType><xs:simpleContent><xs:extension base="xs:long"/></xs:simpleContent></xs:complexType></xs:element>
    <xs:element name="Box" maxOccurs="unbounded"><xs:complexType><xs:sequence><xs:element name="Inner" type="dateType"/></xs:sequence></xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>`;
  const fields = parseProfileXsd(xsd);
  assert.deepEqual(
    fields.map((f) => [f.element, f.kind, f.repeated]),
    [
      ['Code', 'text', false],
      ['Count', 'integer', false],
      ['Ratio', 'number', false],
      ['Public', 'boolean', false],
      ['Tags', 'text', true],
      ['Level', 'list', false],
      ['Since', 'integer', false],
      ['Box', 'container', true],
    ],
  );
  assert.deepEqual(fields[5]!.values, ['A & B', 'C']);
  // The schema made of it is a valid JSON Schema (draft-07), as every schema the package ships.
  const schema = profileStream({ id: 1, metadataObjectType: '2', xsd }, 'metadata_hand').def.schema!;
  assert.doesNotThrow(() => createAjv({ validateSchema: true }).compile(schema));
  assert.deepEqual(fields[7]!.children!.map((c) => [c.element, c.kind]), [['Inner', 'date']]);
});

test('an XSD that is not XML, or has no metadata element, is unreadable: the stream keeps the raw xml and says why', () => {
  assert.throws(() => parseProfileXsd('<xsd:schema><xsd:element name="metadata">'), UnreadableXsd);
  assert.throws(() => parseProfileXsd('<xsd:schema xmlns:xsd="x"><xsd:element name="other"/></xsd:schema>'), /no <xsd:element name="metadata">/);
  const stream = profileStream({ id: 7, metadataObjectType: '1', xsd: 'not xml' }, 'metadata_x');
  assert.deepEqual(Object.keys((stream.def.schema as { properties: object }).properties), ['entryId', 'id', 'metadataProfileVersion', 'createdAt', 'updatedAt', 'xml']);
  assert.match(stream.warning!, /^metadata_x: the XSD of metadata profile 7 could not be read/);
});

test('names: the system name in lower snake case behind metadata_, or metadata_profile_<id>; column names deduplicated', () => {
  assert.equal(snakeCase('CourseCode'), 'course_code');
  assert.equal(snakeCase('XMLTitle'), 'xml_title');
  assert.equal(snakeCase('Budget Code (2024)'), 'budget_code_2024');
  assert.equal(profileStreamBaseName({ id: 5, metadataObjectType: '1', systemName: 'CourseInfo', name: 'Any display name' }), 'metadata_course_info');
  assert.equal(profileStreamBaseName({ id: 5, metadataObjectType: '1', systemName: '', name: 'Course' }), 'metadata_profile_5');
  const xsd = '<xsd:schema xmlns:xsd="x"><xsd:element name="metadata"><xsd:complexType><xsd:sequence><xsd:element name="id" type="textType"/><xsd:element name="Id" type="textType"/><xsd:element name="2nd" type="textType"/><xsd:element name="xml" type="textType"/></xsd:sequence></xsd:complexType></xsd:element></xsd:schema>';
  const def = profileStream({ id: 9, metadataObjectType: '3', xsd }, 'metadata_p').def;
  assert.deepEqual(Object.keys((def.schema as { properties: object }).properties), ['userId', 'id', 'metadataProfileVersion', 'createdAt', 'updatedAt', 'id_2', 'id_3', 'f_2nd', 'xml_2']);
});

test('a value that does not fit its column is passed to the shaping as it is (never guessed), a fitting one converted', () => {
  const xsd = '<xsd:schema xmlns:xsd="x"><xsd:element name="metadata"><xsd:complexType><xsd:sequence><xsd:element name="When" type="dateType"/><xsd:element name="N" type="xsd:long"/><xsd:element name="Many" type="dateType" maxOccurs="unbounded"/></xsd:sequence></xsd:complexType></xsd:element></xsd:schema>';
  const def = profileStream({ id: 3, metadataObjectType: '1', xsd }, 'metadata_t').def;
  const row = (xml: string) => def.transform!({ id: 1, objectId: '0_a', metadataProfileVersion: 1, createdAt: 10, updatedAt: 20, xml });
  assert.deepEqual(row('<metadata><When>1600000000</When><N>42</N><Many>0</Many><Many>86400</Many></metadata>'), { entryId: '0_a', id: 1, metadataProfileVersion: 1, createdAt: 10, updatedAt: 20, when: 1600000000, n: 42, many: ['1970-01-01T00:00:00Z', '1970-01-02T00:00:00Z'] });
  const odd = row('<metadata><When>yesterday</When><N>4.5</N></metadata>');
  assert.equal(odd.when, 'yesterday');
  assert.equal(odd.n, '4.5');
  const shaper = new RecordShaper(def);
  const good = shaper.shape(row('<metadata><When>1600000000</When></metadata>'));
  assert.equal(good.when, '2020-09-13T12:26:40Z', 'a single date becomes RFC 3339 in the shaping, like every other time');
  assert.equal(shaper.repair(good), undefined);
  // The shaping's rule for values of another type: not a date, so nulled (the record is kept, the repair says so).
  const drifted = shaper.shape(row('<metadata><When>yesterday</When><N>12</N></metadata>'));
  const repair = shaper.repair(drifted)!;
  assert.deepEqual(repair.nulled.map((f) => f.field), ['when']);
  assert.equal(drifted.when, null);
  assert.equal(drifted.n, 12);
  assert.equal(repair.problem, undefined);
});

test('a catalog names a profile stream by the id its schema carries: a changed system name reads under the catalog\'s name; a gone profile fails alone', () => {
  const profile = { id: 11, metadataObjectType: '2', systemName: 'NewName', xsd: '<xsd:schema xmlns:xsd="x"><xsd:element name="metadata"><xsd:complexType><xsd:sequence><xsd:element name="A" type="textType"/></xsd:sequence></xsd:complexType></xsd:element></xsd:schema>' };
  const made = profileStream(profile, 'metadata_new_name');
  const server: ServerStreams = { available: [...streams.filter((s) => s.name !== 'caption_assets'), made.def], unavailable: [{ name: 'caption_assets', reason: 'this Kaltura server has no caption plugin (caption_captionasset answers SERVICE_DOES_NOT_EXISTS)' }], profiles: [made], warnings: [] };
  const old = catalogStream(server, 'metadata_old_name', { $comment: 'kaltura metadata profile 11', properties: { a: { type: ['string', 'null'] }, gone: { type: ['string', 'null'] } } })!;
  assert.equal(old.name, 'metadata_old_name');
  assert.equal(old.source.filter.metadataProfileIdEqual, 11);
  assert.deepEqual(Object.keys((old.schema as { properties: object }).properties), ['categoryId', 'id', 'metadataProfileVersion', 'createdAt', 'updatedAt', 'a', 'gone'], 'a column the catalog has and the XSD lost stays, last');
  assert.match(catalogStream(server, 'metadata_old_name', { $comment: 'kaltura metadata profile 99' })!.unavailable!, /metadata profile 99, whose stream it is, is not listed any more/);
  const caption = catalogStream(server, 'caption_assets')!;
  assert.match(caption.unavailable!, /^caption_assets cannot be read: this Kaltura server has no caption plugin/);
  assert.equal(caption.parents, undefined, 'it fails at once, without walking its parents');
  assert.equal(catalogStream(server, 'nonsense'), undefined, 'an unknown name is for the caller to refuse');
});

/** A client whose profile list answers `profiles` (or refuses it with `code`); every other list is empty. */
function profileClient(profiles: object[], code?: string): KalturaClient {
  return {
    list: async (service: string) => {
      if (service === 'metadata_metadataprofile' && code) throw new KalturaApiError(code, code, {}, service, 'list');
      return { objects: service === 'metadata_metadataprofile' ? profiles : [], totalCount: 0 };
    },
  } as unknown as KalturaClient;
}

const oneField = '<xsd:schema xmlns:xsd="x"><xsd:element name="metadata"><xsd:complexType><xsd:sequence><xsd:element name="A" type="textType"/></xsd:sequence></xsd:complexType></xsd:element></xsd:schema>';

test('every profile gets a stream name of its own, even when a name with its id is already another profile\'s', async () => {
  const server = await resolveStreams(profileClient([10, 11, 12].map((id, i) => ({ id, metadataObjectType: '1', systemName: ['A_12', 'A', 'A'][i], xsd: oneField }))));
  const names = server.profiles.map((p) => p.def.name);
  assert.deepEqual(names, ['metadata_a_12', 'metadata_a', 'metadata_a_12_12']);
  assert.equal(new Set(server.available.map((s) => s.name)).size, server.available.length, 'no two streams share a name');
});

test('a catalog\'s profile stream is the profile its schema names, never another profile that has its name now', async () => {
  // Profile 5 made metadata_course_info; it was deleted and profile 9 took its system name.
  const server = await resolveStreams(profileClient([{ id: 9, metadataObjectType: '1', systemName: 'CourseInfo', xsd: oneField }]));
  const old = catalogStream(server, 'metadata_course_info', { $comment: 'kaltura metadata profile 5', properties: {} })!;
  assert.match(old.unavailable!, /metadata profile 5, whose stream it is, is not listed any more/);
  const current = catalogStream(server, 'metadata_course_info', { $comment: 'kaltura metadata profile 9', properties: {} })!;
  assert.equal(current.unavailable, undefined);
  assert.equal(current.source.filter.metadataProfileIdEqual, 9);
});

test('when the session may not list profiles, a catalog\'s profile stream fails with that reason, not as a deleted profile', async () => {
  const server = await resolveStreams(profileClient([], 'SERVICE_FORBIDDEN'));
  const def = catalogStream(server, 'metadata_course_info', { $comment: 'kaltura metadata profile 5', properties: {} })!;
  assert.match(def.unavailable!, /^metadata_course_info cannot be read: this session may not call metadata_metadataprofile\.list \(SERVICE_FORBIDDEN\)/);
  assert.doesNotMatch(def.unavailable!, /deleted/);
});

test('metadata XML that is not well-formed is said once per stream, its record kept with the profile fields empty', () => {
  const def = profileStream({ id: 4, metadataObjectType: '1', xsd: oneField }, 'metadata_t').def;
  const warnings: string[] = [];
  const warnOnce = (_what: string, message: string) => warnings.push(message);
  const record = def.transform!({ id: 7, objectId: '0_a', metadataProfileVersion: 1, createdAt: 10, updatedAt: 20, xml: '<metadata><A>x</metadata>' }, warnOnce);
  assert.deepEqual(record, { entryId: '0_a', id: 7, metadataProfileVersion: 1, createdAt: 10, updatedAt: 20 });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /^metadata_t: the metadata XML of entryId 0_a \(metadata object 7\) is not well-formed XML/);
});
