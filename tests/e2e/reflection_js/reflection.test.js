// The server's reflection, exercised by a client that is not ours (see
// rpcurl.js): every service listed, every descriptor fetched with its
// imports, Create/Get/List called with JSON encoded through those
// descriptors alone, and every grpcurl example of README.md run unchanged.
// Run by scripts/reflection_test.sh with DEFIFUNDR_DATA_TARGET=host:port of
// a server over a freshly migrated and seeded database.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test, after } = require('node:test');
const grpc = require('@grpc/grpc-js');
const { Rpcurl, run, fromJson, toJson } = require('./rpcurl');

const TARGET = process.env.DEFIFUNDR_DATA_TARGET;
const TRANSCRIPT = process.env.RPCURL_TRANSCRIPT;
assert.ok(TARGET, 'DEFIFUNDR_DATA_TARGET (host:port of a live server) is required');

const SERVICES = [
  'defifundr.data.v1.UserService',
  'defifundr.data.v1.SessionService',
  'defifundr.data.v1.KycService',
  'defifundr.data.v1.UserDeviceService',
  'defifundr.data.v1.OtpService',
  'defifundr.data.v1.TransactionService',
  'grpc.health.v1.Health',
];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

const c = new Rpcurl(TARGET);
after(() => c.close());

async function expectCode(promise, code) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, code, `want code ${code}, got ${err.code}: ${err.details}`);
    return true;
  });
}

test('reflection lists every service', async () => {
  const services = await c.listServices();
  for (const s of SERVICES) assert.ok(services.includes(s), `${s} not in ${services}`);
  assert.ok(services.includes('grpc.reflection.v1alpha.ServerReflection'));
});

test('every service descriptor resolves with all it imports', async () => {
  for (const name of await c.listServices()) {
    const root = await c.root(name); // resolveAll(): every type reference resolves
    const service = root.lookupService(name);
    assert.ok(service.methodsArray.length > 0, name);
    const seen = new Set();
    const visit = (type) => {
      if (!type || seen.has(type.fullName)) return;
      seen.add(type.fullName);
      for (const f of type.fieldsArray || []) {
        f.resolve();
        if (!/^(double|float|u?int(32|64)|s?fixed(32|64)|sint(32|64)|bool|string|bytes)$/.test(f.type)) {
          assert.ok(f.resolvedType, `${type.fullName}.${f.name}: ${f.type} unresolved`);
          visit(f.resolvedType);
        }
      }
    };
    for (const m of service.methodsArray) {
      m.resolve();
      visit(m.resolvedRequestType);
      visit(m.resolvedResponseType);
    }
    if (name.startsWith('defifundr.')) {
      // Well-known types come from the server too.
      assert.ok(seen.has('.google.protobuf.Timestamp'), `${name} without Timestamp`);
      assert.ok(seen.has('.google.protobuf.FieldMask'), `${name} without FieldMask`);
    }
  }
});

test('describe prints services, messages and enums as grpcurl does', async () => {
  const service = await c.describe('defifundr.data.v1.UserService');
  assert.match(service, /^defifundr\.data\.v1\.UserService is a service:/);
  assert.ok(
    service.includes(
      'rpc CreateUser ( .defifundr.data.v1.CreateUserRequest ) returns ( .defifundr.data.v1.User );',
    ),
    service,
  );
  const message = await c.describe('defifundr.data.v1.User');
  assert.ok(message.includes('string email = 2;'), message);
  assert.ok(message.includes('.google.protobuf.Timestamp created_at = 14;'), message);
  const e = await c.describe('defifundr.data.v1.AccountType');
  assert.ok(e.includes('ACCOUNT_TYPE_PERSONAL = 2;'), e);
});

test('CreateUser, GetUser and ListUsers with JSON encoded by the fetched descriptors', async () => {
  const created = [];
  for (const i of [1, 2, 3]) {
    const user = await c.invoke(
      'defifundr.data.v1.UserService/CreateUser',
      JSON.stringify({
        user: {
          email: `reflection.${i}@node.example`,
          account_type: 'ACCOUNT_TYPE_BUSINESS',
          personal_account_type: 'PERSONAL_ACCOUNT_TYPE_EMPLOYEE',
          first_name: 'Node',
          lastName: `Reflection${i}`, // lowerCamelCase is accepted too
          nationality: 'Ghana',
          company_website: 'https://node.example',
        },
        password_hash: '$2a$10$abcdefghijklmnopqrstuv',
      }),
    );
    assert.match(user.id, UUID);
    assert.equal(user.email, `reflection.${i}@node.example`);
    assert.equal(user.accountType, 'ACCOUNT_TYPE_BUSINESS');
    assert.equal(user.lastName, `Reflection${i}`);
    assert.equal(user.companyWebsite, 'https://node.example');
    assert.match(user.createdAt, RFC3339);
    assert.equal(user.passwordHash, undefined);
    assert.equal(user.profilePicture, undefined); // unset optional: absent
    created.push(user);
  }

  const got = await c.invoke(
    'defifundr.data.v1.UserService/GetUser',
    JSON.stringify({ id: created[1].id }),
  );
  assert.deepEqual(got, created[1]);

  // Walk every page of business users, two per page, following the tokens.
  const seen = new Map();
  let token = '';
  let pages = 0;
  let total;
  do {
    const page = await c.invoke(
      'defifundr.data.v1.UserService/ListUsers',
      JSON.stringify({
        page_size: 2,
        page_token: token,
        account_type: 'ACCOUNT_TYPE_BUSINESS',
        include_total_size: true,
      }),
    );
    pages += 1;
    assert.ok((page.users || []).length <= 2);
    for (const u of page.users || []) {
      assert.equal(u.accountType, 'ACCOUNT_TYPE_BUSINESS');
      seen.set(u.id, (seen.get(u.id) || 0) + 1);
    }
    total = page.totalSize;
    token = page.nextPageToken || '';
  } while (token !== '' && pages < 1000);
  assert.equal(token, '');
  for (const u of created) assert.equal(seen.get(u.id), 1, u.id);
  for (const [id, n] of seen) assert.equal(n, 1, id);
  assert.equal(total, String(seen.size)); // int64 is a JSON string
  assert.ok(pages >= 2);
});

test('every service answers List and rejects a bad id with INVALID_ARGUMENT', async () => {
  const lists = {
    UserService: 'ListUsers',
    SessionService: 'ListSessions',
    KycService: 'ListKycs',
    UserDeviceService: 'ListUserDevices',
    OtpService: 'ListOtps',
    TransactionService: 'ListTransactions',
  };
  for (const [service, method] of Object.entries(lists)) {
    const page = await c.invoke(`defifundr.data.v1.${service}/${method}`, '{"page_size": 3}');
    const rows = Object.values(page).find(Array.isArray) || [];
    assert.ok(rows.length > 0 && rows.length <= 3, `${service}: ${rows.length} rows`);
    const get = method.replace(/^List/, 'Get').replace(/s$/, '');
    await expectCode(
      c.invoke(`defifundr.data.v1.${service}/${get}`, '{"id": "not-a-uuid"}'),
      grpc.status.INVALID_ARGUMENT,
    );
    await expectCode(
      c.invoke(
        `defifundr.data.v1.${service}/${get}`,
        '{"id": "00000000-0000-4000-8000-000000000000"}',
      ),
      grpc.status.NOT_FOUND,
    );
  }
});

test('health check is SERVING', async () => {
  assert.deepEqual(await c.invoke('grpc.health.v1.Health/Check'), { status: 'SERVING' });
});

test('what the descriptors do not allow is refused before any call', async () => {
  await expectCode(
    c.invoke('defifundr.data.v1.UserService/GetUser', '{"no_such_field": 1}'),
    grpc.status.INVALID_ARGUMENT,
  );
  await expectCode(
    c.invoke(
      'defifundr.data.v1.SessionService/ListSessions',
      '{"page_size": 1, "no_such_field": true}',
    ),
    grpc.status.INVALID_ARGUMENT,
  );
  await expectCode(
    c.invoke(
      'defifundr.data.v1.OtpService/CreateOtp',
      '{"otp": {"expires_at": "next tuesday"}}',
    ),
    grpc.status.INVALID_ARGUMENT,
  );
  await expectCode(
    c.invoke('defifundr.data.v1.UserService/NoSuchMethod', '{}'),
    grpc.status.UNIMPLEMENTED,
  );
  await expectCode(c.invoke('defifundr.data.v1.NoSuchService/Get', '{}'), grpc.status.NOT_FOUND);
  await expectCode(c.invoke('NoSlashOrDot', '{}'), grpc.status.INVALID_ARGUMENT);
});

test('proto3 JSON: timestamps and field masks round-trip', async () => {
  const ts = (t) => toJson(timestampType, timestampType.fromObject(fromJson(timestampType, t)));
  const root = await c.root('defifundr.data.v1.UserService');
  const timestampType = root.lookupType('google.protobuf.Timestamp');
  assert.equal(ts('2030-01-02T03:04:05Z'), '2030-01-02T03:04:05Z');
  assert.equal(ts('2030-01-02T03:04:05.5Z'), '2030-01-02T03:04:05.500Z');
  assert.equal(ts('2030-01-02T03:04:05.000001Z'), '2030-01-02T03:04:05.000001Z');
  assert.equal(ts('2030-01-02T04:04:05+01:00'), '2030-01-02T03:04:05Z');
  const mask = root.lookupType('google.protobuf.FieldMask');
  assert.deepEqual(fromJson(mask, 'firstName,last_name'), { paths: ['first_name', 'last_name'] });
  assert.equal(toJson(mask, { paths: ['first_name', 'email'] }), 'firstName,email');
});

test('a failed call prints its code, message and details as grpcurl does', async () => {
  const email = `details-${process.pid}@example.com`;
  const user = JSON.stringify({
    user: {
      email,
      account_type: 'ACCOUNT_TYPE_PERSONAL',
      personal_account_type: 'PERSONAL_ACCOUNT_TYPE_FREELANCER',
      first_name: 'Ada',
      last_name: 'Obi',
      nationality: 'Nigeria',
    },
  });
  const created = await run(['-plaintext', '-H', 'x-request-id: details-1', '-d', user, TARGET,
    'defifundr.data.v1.UserService/CreateUser']);
  assert.equal(created.code, 0, created.out);
  const taken = await run(['-plaintext', '-d', user.replace(email, email.toUpperCase()), TARGET,
    'defifundr.data.v1.UserService/CreateUser']);
  assert.equal(taken.code, grpc.status.ALREADY_EXISTS, taken.out);
  const lines = taken.out.split('\n');
  assert.equal(lines[0], 'ERROR:');
  assert.equal(lines[1], '  Code: AlreadyExists');
  assert.match(lines[2], /^  Message: already exists: /);
  assert.equal(lines[3], '  Details:');
  assert.equal(lines[4], '  1)\t{');
  const detail = JSON.parse(lines.slice(4).map((l) => l.replace(/^ *(1\))?\t/, '')).join('\n'));
  assert.deepEqual(detail, {
    '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
    reason: 'EMAIL_TAKEN',
    domain: 'data.defifundr',
    metadata: { constraint: 'users_email_lower_key', sqlstate: '23505' },
  });
  const bad = await run(['-plaintext', '-d', '{"id": "nope"}', TARGET,
    'defifundr.data.v1.UserService/GetUser']);
  assert.equal(bad.code, grpc.status.INVALID_ARGUMENT, bad.out);
  assert.match(bad.out, /"@type": "type\.googleapis\.com\/google\.rpc\.BadRequest"/);
  assert.match(bad.out, /"field": "id"/);
});

// The grpcurl command lines in the ```sh blocks of README.md's "Debugging
// with grpcurl" section, joined across trailing backslashes.
function readmeCommands() {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf('## Debugging with grpcurl');
  assert.ok(start >= 0, 'README.md has no "Debugging with grpcurl" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const commands = [];
  for (const block of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1].replace(/\\\n\s*/g, ' ').split('\n')) {
      if (line.trim().startsWith('grpcurl ')) commands.push(line.trim());
    }
  }
  return commands;
}

// Splits a shell command line (plain words and '...' strings).
function shellWords(line) {
  const words = [];
  const re = /'([^']*)'|(\S+)/g;
  let m;
  while ((m = re.exec(line)) !== null) words.push(m[1] !== undefined ? m[1] : m[2]);
  return words;
}

test("README's grpcurl examples run unchanged and succeed", async () => {
  const commands = readmeCommands();
  const values = {}; // <user_id>, <session_id>, ..., <next_page_token>
  const transcript = [];
  const methodsRun = new Set();
  for (const line of commands) {
    const words = shellWords(line)
      .slice(1)
      .map((w) =>
        w
          .replace(/localhost:50051/g, TARGET)
          .replace(/<([a-z_]+)>/g, (m, key) => {
            assert.ok(key in values, `${line}: nothing printed <${key}> before`);
            return values[key];
          }),
      );
    const { code, out } = await run(words);
    transcript.push(`$ ${line}`, out, '');
    assert.equal(code, 0, `${line}\n${out}`);
    const method = words.find((w) => /^[\w.]+\/\w+$/.test(w));
    if (method) {
      methodsRun.add(method);
      const response = JSON.parse(out);
      const create = /\/Create(\w+)$/.exec(method);
      if (create) {
        const key = `${create[1].replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`).slice(1)}_id`;
        values[key] = response.id;
      }
      if (response.nextPageToken) values.next_page_token = response.nextPageToken;
    }
  }
  if (TRANSCRIPT) fs.writeFileSync(TRANSCRIPT, transcript.join('\n'));
  // Per service: create, get, list, list with a page token; plus health.
  for (const s of SERVICES.slice(0, 6)) {
    const ran = [...methodsRun].filter((m) => m.startsWith(`${s}/`));
    assert.ok(ran.some((m) => /\/Create/.test(m)), `${s}: no Create example`);
    assert.ok(ran.some((m) => /\/Get/.test(m)), `${s}: no Get example`);
    assert.ok(ran.some((m) => /\/List/.test(m)), `${s}: no List example`);
    assert.ok(
      commands.some((l) => l.includes(`${s}/List`) && l.includes('<next_page_token>')),
      `${s}: no List example with a page token`,
    );
  }
  assert.ok(methodsRun.has('grpc.health.v1.Health/Check'));
  assert.ok(commands.some((l) => / list$/.test(l)), 'no `list` example');
  assert.ok(commands.some((l) => / describe /.test(l)), 'no `describe` example');
});
