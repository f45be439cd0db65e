import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, type Emulator } from '../../fixtures/emulator/index.js';
import { api, login, pager } from './helpers.js';

// Category and user metadata, and the XSDs of the profiles, as the emulator serves them.
let emu: Emulator;
let ks: string;
before(async () => {
  emu = await startEmulator({ entries: 200, categories: 20, users: 15, seed: 5 });
  ks = await login(emu, 'admin');
});
after(() => emu.close());

const profiles = () => emu.control.metadataProfiles();

test('category and user metadata are listed without object ids (whole), or for the ids named, with objectId as the API writes it', async () => {
  for (const [systemName, type] of [['CategoryExtra', '2'], ['StaffRecord', '3']] as const) {
    const p = profiles().find((x) => x.systemName === systemName)!;
    const truth = emu.control.metadataOfProfile(p.id);
    const all = await api(emu, 'metadata_metadata', 'list', { ks, filter: { objectType: 'KalturaMetadataFilter', metadataObjectTypeEqual: type, metadataProfileIdEqual: p.id }, pager: pager(500) });
    assert.equal(all.totalCount, truth.length, `${systemName}: every object`);
    assert.deepEqual(all.objects.map((o: any) => o.objectId).sort(), truth.map((t) => t.objectId).sort());
    assert.ok(all.objects.every((o: any) => o.metadataObjectType === type && typeof o.objectId === 'string'));
    const one = truth[0]!;
    const named = await api(emu, 'metadata_metadata', 'list', { ks, filter: { objectType: 'KalturaMetadataFilter', metadataObjectTypeEqual: type, objectIdIn: one.objectId }, pager: pager(500) });
    assert.ok(named.objects.some((o: any) => o.id === one.id));
    assert.ok(named.objects.every((o: any) => o.objectId === one.objectId));
  }
});

test('entry metadata still needs object ids, and lists only entry metadata', async () => {
  const refused = await api(emu, 'metadata_metadata', 'list', { ks, filter: { objectType: 'KalturaMetadataFilter', metadataObjectTypeEqual: '1' } });
  assert.equal(refused.code, 'MUST_FILTER_ON_OBJECT_ID');
  const entries = emu.control.truth('metadata');
  const ids = [...new Set(entries.slice(0, 40).map((t) => t.objectId!))];
  const listed = await api(emu, 'metadata_metadata', 'list', { ks, filter: { objectType: 'KalturaMetadataFilter', metadataObjectTypeEqual: '1', objectIdIn: ids.join(',') }, pager: pager(500) });
  assert.ok(listed.objects.length > 0 && listed.objects.every((o: any) => o.metadataObjectType === '1'));
});

test('XSDs use the KMC\'s types, and a field added to a profile appears in its XSD with the version moved; objects get its value once written', async () => {
  const p = profiles().find((x) => x.systemName === 'LectureCapture')!;
  const get = async () => (await api(emu, 'metadata_metadataprofile', 'list', { ks, filter: { objectType: 'KalturaMetadataProfileFilter', idEqual: p.id } })).objects[0];
  const before = await get();
  for (const type of ['type="textType"', 'type="dateType"', 'type="objectType"', 'base="listType"', 'maxOccurs="unbounded"', '<xsd:complexType><xsd:sequence>']) assert.ok(before.xsd.includes(type), `the XSD has ${type}`);
  const object = emu.control.metadataOfProfile(p.id)[0]!;
  emu.control.addProfileField(p.id, { name: 'Sponsor', kind: 'text', maxOccurs: 1 });
  const after = await get();
  assert.equal(after.version, before.version + 1);
  assert.match(after.xsd, /name="Sponsor"[^>]*type="textType"/);
  assert.ok(!emu.control.metadataOfProfile(p.id)[0]!.values.some(([name]) => name === 'Sponsor'), 'an object written before has no value for it');
  emu.control.writeMetadata(object.id, [['Sponsor', ['ACME & Co <"x">']]]);
  const xml: string = (await api(emu, 'metadata_metadata', 'list', { ks, filter: { objectType: 'KalturaMetadataFilter', objectIdEqual: object.objectId, metadataProfileIdEqual: p.id } })).objects[0].xml;
  assert.match(xml, /<Sponsor>ACME &amp; Co &lt;&quot;x&quot;&gt;<\/Sponsor>/, 'values are escaped in the XML');
});
