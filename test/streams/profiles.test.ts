import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { runConnector, recordsOf, lastStates, ofType } from '../helpers/cli.js';
import { startFixture, type Fixture } from '../helpers/setup.js';
import { run as runCli } from '../singer/run.js';
import type { MetadataValues, ProfileField } from '../../fixtures/emulator/store/metadata.js';

// One stream per metadata profile, typed from its XSD, against the emulator's ground truth: the
// values it writes into each metadata object's XML and the fields of each profile.

let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 600, categories: 40, users: 30, seed: 31 });
});
after(() => fx.close());

type Profile = ReturnType<Fixture['emulator']['control']['metadataProfiles']>[number];
const profile = (systemName: string): Profile => fx.emulator.control.metadataProfiles().find((p) => p.systemName === systemName)!;
/** The category profile without a system name. */
const nameless = (): Profile => fx.emulator.control.metadataProfiles().find((p) => p.systemName === '')!;

interface CatalogStream {
  name: string;
  json_schema: { properties: Record<string, any>; $comment?: string };
  source_defined_primary_key: string[][];
  default_cursor_field: string[];
}

async function discover(): Promise<CatalogStream[]> {
  const run = await runConnector(['discover', '--config', fx.config()]);
  assert.equal(run.code, 0, run.stdout);
  return ofType(run.messages, 'CATALOG')[0]!.catalog.streams as CatalogStream[];
}

async function read(streams: CatalogStream[], mode: 'full_refresh' | 'incremental', state?: unknown[]) {
  const catalog = fx.write(`catalog-${Math.random()}.json`, {
    streams: streams.map((stream) => ({ stream, sync_mode: mode, destination_sync_mode: mode === 'incremental' ? 'append_dedup' : 'overwrite', ...(mode === 'incremental' ? { cursor_field: ['updatedAt'] } : {}) })),
  });
  const args = ['read', '--config', fx.config(), '--catalog', catalog];
  if (state) args.push('--state', fx.write(`state-${Math.random()}.json`, state));
  const run = await runConnector(args);
  assert.equal(run.code, 0, run.stdout.slice(-3000));
  return run;
}

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

/** The column names the docs promise: snake case, in XSD order, a repeated name suffixed `_2`. */
function columns(fields: readonly ProfileField[], taken = new Set(['entryId', 'categoryId', 'userId', 'id', 'metadataProfileVersion', 'createdAt', 'updatedAt', 'xml'])): string[] {
  return fields.map((f) => {
    const base = f.name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    return name;
  });
}

/** What a record holds for the values written in the XML: each kind converted, containers as objects. */
function expectedValues(fields: readonly ProfileField[], values: MetadataValues): Record<string, unknown> {
  const names = columns(fields, new Set(fields === undefined ? [] : ['entryId', 'categoryId', 'userId', 'id', 'metadataProfileVersion', 'createdAt', 'updatedAt', 'xml']));
  const out: Record<string, unknown> = {};
  fields.forEach((f, i) => {
    const given = values.find(([name]) => name === f.name)?.[1];
    if (!given) return;
    const one = (v: string | MetadataValues): unknown => {
      if (f.kind === 'container') return expectedChildren(f.children ?? [], v as MetadataValues);
      if (f.kind === 'date') return iso(Number(v));
      if (f.kind === 'int') return Number(v);
      return v;
    };
    out[names[i]!] = f.maxOccurs > 1 ? given.map(one) : one(given[0]!);
  });
  return out;
}

function expectedChildren(fields: readonly ProfileField[], values: MetadataValues): Record<string, unknown> {
  const names = columns(fields, new Set());
  const out: Record<string, unknown> = {};
  fields.forEach((f, i) => {
    const given = values.find(([name]) => name === f.name)?.[1];
    if (!given) return;
    const one = (v: string | MetadataValues): unknown => (f.kind === 'date' ? iso(Number(v)) : f.kind === 'int' ? Number(v) : v);
    out[names[i]!] = f.maxOccurs > 1 ? given.map(one) : one(given[0]!);
  });
  return out;
}

/** Every listed object of the profile once, with its values exactly as the emulator wrote them. */
function assertRecordsAreTruth(p: Profile, idColumn: string, records: Array<Record<string, any>>): void {
  const truth = fx.emulator.control.metadataOfProfile(p.id);
  assert.ok(truth.length > 5, `profile ${p.id} has objects to read`);
  assert.equal(records.length, truth.length, `profile ${p.id}: one record per object`);
  const byObject = new Map(records.map((r) => [String(r[idColumn]), r]));
  for (const t of truth) {
    const r = byObject.get(t.objectId);
    assert.ok(r, `${t.objectId} was read`);
    const { [idColumn]: objectId, id, metadataProfileVersion, createdAt, updatedAt, ...values } = r;
    assert.equal(String(objectId), t.objectId);
    assert.equal(id, t.id);
    assert.equal(metadataProfileVersion, t.metadataProfileVersion);
    assert.equal(createdAt, iso(t.createdAt));
    assert.equal(updatedAt, iso(t.updatedAt));
    assert.deepEqual(values, expectedValues(p.fields, t.values), `${t.objectId}: every field's values, typed`);
  }
}

test('discover offers one stream per profile of entries, categories and users, named from the system name, typed from the XSD in XSD order', async () => {
  const streams = await discover();
  const names = streams.map((s) => s.name);
  const lecture = profile('LectureCapture');
  assert.deepEqual(
    names.filter((n) => n.startsWith('metadata_') && n !== 'metadata_profiles'),
    ['metadata_course_info', 'metadata_rights', 'metadata_category_extra', 'metadata_lecture_capture', `metadata_profile_${nameless().id}`, 'metadata_staff_record'],
    'entry, category and user profiles by id; the deprecated one is not listed; a profile without a system name is metadata_profile_<id>',
  );
  assert.deepEqual(names.slice(0, 8), ['media', 'categories', 'category_entries', 'metadata', 'metadata_profiles', 'users', 'flavor_assets', 'caption_assets'], 'the fixed streams stay, first');
  const s = streams.find((x) => x.name === 'metadata_lecture_capture')!;
  assert.equal(s.json_schema.$comment, `kaltura metadata profile ${lecture.id}`);
  assert.deepEqual(s.source_defined_primary_key, [['entryId']]);
  assert.deepEqual(s.default_cursor_field, ['updatedAt']);
  const p = s.json_schema.properties;
  assert.deepEqual(Object.keys(p), ['entryId', 'id', 'metadataProfileVersion', 'createdAt', 'updatedAt', ...columns(lecture.fields)], 'fixed columns, then the XSD fields in XSD order');
  assert.deepEqual(p.title.type, ['string', 'null'], 'textType: a string');
  assert.deepEqual(p.speakers, { type: ['array', 'null'], items: { type: 'string' }, description: p.speakers.description }, 'maxOccurs unbounded: an array');
  assert.equal(p.recorded_on.format, 'date-time', 'dateType: a date-time string');
  assert.equal(p.review_dates.items.format, 'date-time', 'repeated dates: an array of date-time strings');
  assert.deepEqual(p.room.enum, ['Hall A', 'Hall B & C', 'Lab "7"', null], 'a list: its values (unescaped), and null');
  assert.deepEqual(p.audience.items.enum, ['Students', 'Staff', 'Public']);
  assert.deepEqual(p.related_entry.type, ['string', 'null'], 'objectType: an entry id string');
  assert.deepEqual(p.see_also.items, { type: 'string' });
  assert.deepEqual(p.attendance.type, ['integer', 'null'], 'xsd:long: an integer');
  assert.deepEqual(p.contact.type, ['object', 'null'], 'a container: an object');
  assert.deepEqual(Object.keys(p.contact.properties), ['contact_name', 'contact_since']);
  assert.equal(p.contact.properties.contact_since.format, 'date-time');
  assert.deepEqual(p.chapters.items.type, 'object', 'a repeated container: an array of objects');
  const faculty = streams.find((x) => x.name === `metadata_profile_${nameless().id}`)!;
  assert.deepEqual(faculty.source_defined_primary_key, [['categoryId']]);
  assert.deepEqual(faculty.json_schema.properties.categoryId.type, ['integer'], 'category ids are integers, as in the categories stream');
  assert.ok('budget_code' in faculty.json_schema.properties && 'budget_code_2' in faculty.json_schema.properties, 'BudgetCode and budget_code: deduplicated');
  assert.deepEqual(streams.find((x) => x.name === 'metadata_staff_record')!.source_defined_primary_key, [['userId']]);
});

test('entry, category and user profile streams hold every object of the profile, each field kind typed and valued exactly as in the XML', async () => {
  const streams = (await discover()).filter((s) => ['metadata_lecture_capture', 'metadata_staff_record', `metadata_profile_${nameless().id}`].includes(s.name));
  const run = await read(streams, 'full_refresh');
  assertRecordsAreTruth(profile('LectureCapture'), 'entryId', recordsOf(run.messages, 'metadata_lecture_capture'));
  assertRecordsAreTruth(nameless(), 'categoryId', recordsOf(run.messages, `metadata_profile_${nameless().id}`));
  assertRecordsAreTruth(profile('StaffRecord'), 'userId', recordsOf(run.messages, 'metadata_staff_record'));
  const lecture = recordsOf(run.messages, 'metadata_lecture_capture');
  for (const column of ['speakers', 'review_dates', 'audience', 'see_also', 'contact', 'chapters', 'attendance', 'room']) {
    assert.ok(lecture.some((r) => r[column] !== undefined), `some record has ${column}`);
  }
  assert.ok(lecture.some((r) => Array.isArray(r.speakers) && r.speakers.length > 1), 'a repeated element gives several values');
});

test('values with &, < and quotes, rewritten between two incremental syncs, arrive exactly; the second sync holds only the change', async () => {
  const lecture = profile('LectureCapture');
  const streams = (await discover()).filter((s) => s.name === 'metadata_lecture_capture');
  const first = await read(streams, 'incremental');
  const c = fx.emulator.control;
  c.advanceClock(5);
  const target = c.metadataOfProfile(lecture.id)[3]!;
  c.writeMetadata(target.id, [
    ['Title', ['Tom & Jerry <live> "quoted" \'single\'']],
    ['Speakers', ['A & B', '<C>', '"D"']],
    ['Room', ['Hall B & C']],
    ['Contact', [[['ContactName', ['O\'Neil & Sons']]]]],
  ]);
  // A read ends with the last whole second before it starts: the write's second must be over.
  c.advanceClock(1);
  const second = await read(streams, 'incremental', lastStates(first.messages));
  const records = recordsOf(second.messages, 'metadata_lecture_capture');
  assert.equal(records.length, 1, 'only the object written since');
  const { updatedAt: _u, createdAt: _c, id: _i, metadataProfileVersion: _v, entryId, ...values } = records[0]!;
  assert.equal(entryId, target.objectId);
  assert.deepEqual(values, { title: 'Tom & Jerry <live> "quoted" \'single\'', speakers: ['A & B', '<C>', '"D"'], room: 'Hall B & C', contact: { contact_name: "O'Neil & Sons" } });
});

test('a field added to a profile between two syncs is a new column that the next sync fills; a removed one stays in a catalog\'s schema', async () => {
  const c = fx.emulator.control;
  const staff = profile('StaffRecord');
  const before = (await discover()).filter((s) => s.name === 'metadata_staff_record');
  assert.ok(!('badge_colour' in before[0]!.json_schema.properties));
  const first = await read(before, 'incremental');
  c.advanceClock(5);
  const version = c.addProfileField(staff.id, { name: 'BadgeColour', kind: 'list', maxOccurs: 1, values: ['red', 'blue'] });
  const changed = c.metadataOfProfile(staff.id)[0]!;
  c.writeMetadata(changed.id, [['EmployeeNumber', ['E-1']], ['BadgeColour', ['blue']]]);
  c.advanceClock(1);
  const after = (await discover()).filter((s) => s.name === 'metadata_staff_record');
  assert.deepEqual(Object.keys(after[0]!.json_schema.properties).slice(-2), ['office', 'badge_colour'], 'the new field is the last column, as in the XSD');
  assert.deepEqual(after[0]!.json_schema.properties.badge_colour.enum, ['red', 'blue', null]);
  const second = await read(after, 'incremental', lastStates(first.messages));
  const records = recordsOf(second.messages, 'metadata_staff_record');
  assert.equal(records.length, 1);
  assert.equal(records[0]!.badge_colour, 'blue', 'the next sync fills the new column');
  assert.equal(records[0]!.metadataProfileVersion, version);

  // A removed field: discover no longer declares it, but a read with the earlier catalog keeps the column (empty).
  c.removeProfileField(staff.id, 'HiredOn');
  const now = (await discover()).find((s) => s.name === 'metadata_staff_record')!;
  assert.ok(!('hired_on' in now.json_schema.properties), 'discover follows the XSD');
  const singerCatalog = fx.write('singer-catalog.json', {
    streams: [{ tap_stream_id: 'metadata_staff_record', stream: 'metadata_staff_record', schema: after[0]!.json_schema, metadata: [{ breadcrumb: [], metadata: { selected: true, 'replication-method': 'FULL_TABLE' } }] }],
  });
  const tap = await runCli('tap', ['--config', fx.config(), '--catalog', singerCatalog]);
  assert.equal(tap.code, 0, tap.stderr);
  const lines = tap.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
  const schema = lines.find((m) => m.type === 'SCHEMA')!;
  assert.ok('hired_on' in schema.schema.properties, 'the column the catalog knew stays in the schema');
  assert.ok(lines.filter((m) => m.type === 'RECORD').every((m) => m.record.hired_on === undefined), 'and is empty');
});

test('a profile whose XSD cannot be read is still a stream, with the raw xml, and a warning', async () => {
  const c = fx.emulator.control;
  const rights = profile('Rights');
  c.setProfileXsd(rights.id, '<xsd:schema><xsd:element name="metadata">');
  try {
    const run = await runConnector(['discover', '--config', fx.config()]);
    assert.equal(run.code, 0);
    const stream = (ofType(run.messages, 'CATALOG')[0]!.catalog.streams as CatalogStream[]).find((s) => s.name === 'metadata_rights')!;
    assert.deepEqual(Object.keys(stream.json_schema.properties), ['entryId', 'id', 'metadataProfileVersion', 'createdAt', 'updatedAt', 'xml']);
    const warnings = ofType(run.messages, 'LOG').filter((m) => m.log.level === 'WARN').map((m) => m.log.message as string);
    assert.ok(warnings.some((w) => w.startsWith('metadata_rights: the XSD of metadata profile') && w.includes('raw xml')), warnings.join('\n'));
    const read1 = await read([stream], 'full_refresh');
    const records = recordsOf(read1.messages, 'metadata_rights');
    assert.equal(records.length, c.metadataOfProfile(rights.id).length);
    assert.ok(records.every((r) => typeof r.xml === 'string' && r.xml.includes('<metadata>')));
  } finally {
    c.setProfileXsd(rights.id, null);
  }
});

test('renaming a profile keeps its stream: the display name never counts, and a catalog made before a system name change reads it under its old name', async () => {
  const c = fx.emulator.control;
  const course = profile('CourseInfo');
  const old = (await discover()).find((s) => s.name === 'metadata_course_info')!;
  c.renameProfile(course.id, 'Course info (renamed in the KMC)');
  assert.ok((await discover()).some((s) => s.name === 'metadata_course_info'), 'a new display name: same stream');
  c.renameProfile(course.id, 'Course info', 'Courses2');
  try {
    assert.ok((await discover()).some((s) => s.name === 'metadata_courses2'), 'discover follows the system name');
    const run = await read([old], 'full_refresh');
    assert.equal(recordsOf(run.messages, 'metadata_course_info').length, c.metadataOfProfile(course.id).length, 'the old catalog still reads the profile, under the name its tables have');
  } finally {
    c.renameProfile(course.id, 'Course information', 'CourseInfo');
  }
});
