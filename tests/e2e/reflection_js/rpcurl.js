#!/usr/bin/env node
// rpcurl: what grpcurl does, with a client that is not ours. It knows no
// .proto file: it asks the server's reflection service (v1alpha, through the
// npm package grpc-js-reflection-client) for the descriptors, turns JSON into
// protobuf and back with them (protobufjs, proto3 JSON mapping: snake_case or
// lowerCamelCase names in, lowerCamelCase out, enums by name, int64 as
// strings, Timestamp as RFC 3339, FieldMask as "a,b"), and calls the method
// with @grpc/grpc-js.
//
//   node rpcurl.js -plaintext HOST:PORT list [SERVICE]
//   node rpcurl.js -plaintext HOST:PORT describe SYMBOL
//   node rpcurl.js -plaintext [-d JSON] [-H 'name: value']... HOST:PORT package.Service/Method
//
// The same flags and output as grpcurl for these commands, so the README's
// grpcurl examples run unchanged; a failed call prints its code, message and
// google.rpc.Status details as grpcurl does (tests/e2e/reflection_js/reflection.test.js
// does exactly that). Only plaintext is supported.
'use strict';

const grpc = require('@grpc/grpc-js');
const { GrpcReflection } = require('grpc-js-reflection-client');

const CODE_NAMES = Object.fromEntries(
  Object.entries(grpc.status).map(([name, code]) => [
    code,
    name
      .toLowerCase()
      .replace(/(^|_)([a-z])/g, (m, sep, c) => c.toUpperCase()),
  ]),
);

// An RPC that failed: `code` is the gRPC status code.
class RpcError extends Error {
  // `statusDetails`: the JSON values of the google.rpc.Status details the
  // server attached (grpc-status-details-bin), each with its "@type" first.
  constructor(code, details, statusDetails = []) {
    super(details);
    this.code = code;
    this.details = details;
    this.statusDetails = statusDetails;
  }
}

const lowerCamel = (name) =>
  name.replace(/_([a-z0-9])/g, (m, c) => c.toUpperCase());
const snake = (name) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const isEnum = (t) => t && t.values !== undefined && t.fields === undefined;
const isMessage = (t) => t && t.fields !== undefined;
const strip = (fullName) => fullName.replace(/^\./, '');

function toNumber(v) {
  if (v === null || v === undefined) return 0;
  return typeof v === 'object' ? Number(v.toString()) : Number(v);
}

// RFC 3339 <-> google.protobuf.Timestamp, as protojson writes it.
function parseTimestamp(text) {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i.exec(
    text,
  );
  if (!m) throw new RpcError(grpc.status.INVALID_ARGUMENT, `bad Timestamp: ${text}`);
  const seconds = Date.parse(`${m[1]}${m[3].toUpperCase()}`) / 1000;
  const nanos = m[2] ? Number(m[2].padEnd(9, '0')) : 0;
  return { seconds, nanos };
}

function formatTimestamp(ts) {
  const seconds = toNumber(ts.seconds);
  const nanos = toNumber(ts.nanos);
  const base = new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  let fraction = '';
  if (nanos !== 0) {
    fraction = `.${String(nanos).padStart(9, '0')}`;
    if (fraction.endsWith('000000')) fraction = fraction.slice(0, 4);
    else if (fraction.endsWith('000')) fraction = fraction.slice(0, 7);
  }
  return `${base}${fraction}Z`;
}

// JSON value (proto3 JSON mapping) -> protobufjs plain object of `type`.
function fromJson(type, value) {
  switch (type.fullName) {
    case '.google.protobuf.Timestamp':
      return parseTimestamp(value);
    case '.google.protobuf.FieldMask':
      return { paths: value === '' ? [] : value.split(',').map(snake) };
    default:
      break;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RpcError(
      grpc.status.INVALID_ARGUMENT,
      `${strip(type.fullName)} must be a JSON object`,
    );
  }
  const out = {};
  for (const [key, v] of Object.entries(value)) {
    const field =
      type.fields[key] || type.fieldsArray.find((f) => lowerCamel(f.name) === key);
    if (!field) {
      throw new RpcError(
        grpc.status.INVALID_ARGUMENT,
        `message type ${strip(type.fullName)} has no known field named ${key}`,
      );
    }
    field.resolve();
    const one = (x) => (isMessage(field.resolvedType) ? fromJson(field.resolvedType, x) : x);
    out[field.name] = field.repeated ? v.map(one) : one(v);
  }
  return out;
}

// protobufjs message of `type` -> JSON value (proto3 JSON mapping; fields
// absent on the wire are left out, as grpcurl does).
function toJson(type, message) {
  switch (type.fullName) {
    case '.google.protobuf.Timestamp':
      return formatTimestamp(message);
    case '.google.protobuf.FieldMask':
      return (message.paths || []).map(lowerCamel).join(',');
    default:
      break;
  }
  const out = {};
  for (const field of [...type.fieldsArray].sort((a, b) => a.id - b.id)) {
    if (!Object.prototype.hasOwnProperty.call(message, field.name)) continue;
    const v = message[field.name];
    if (field.repeated && v.length === 0) continue;
    field.resolve();
    const t = field.resolvedType;
    const one = (x) => {
      if (isMessage(t)) return toJson(t, x);
      if (isEnum(t)) return t.valuesById[x] !== undefined ? t.valuesById[x] : x;
      if (/^(u?int64|s?fixed64|sint64)$/.test(field.type)) return String(x);
      if (field.type === 'bytes') return Buffer.from(x).toString('base64');
      return x;
    };
    out[lowerCamel(field.name)] = field.repeated ? v.map(one) : one(v);
  }
  return out;
}

// grpcurl's `describe` text for a service, message or enum.
function describeText(symbol, obj) {
  const name = strip(obj.fullName);
  const lines = [];
  if (obj.methods !== undefined) {
    lines.push(`${name} is a service:`, `service ${obj.name} {`);
    for (const m of obj.methodsArray) {
      m.resolve();
      const stream = (yes) => (yes ? 'stream ' : '');
      lines.push(
        `  rpc ${m.name} ( ${stream(m.requestStream)}${m.resolvedRequestType.fullName} )` +
          ` returns ( ${stream(m.responseStream)}${m.resolvedResponseType.fullName} );`,
      );
    }
  } else if (isMessage(obj)) {
    lines.push(`${name} is a message:`, `message ${obj.name} {`);
    for (const f of obj.fieldsArray) {
      f.resolve();
      const type = f.resolvedType ? f.resolvedType.fullName : f.type;
      const label = f.repeated ? 'repeated ' : f.options && f.options.proto3_optional ? 'optional ' : '';
      lines.push(`  ${label}${type} ${f.name} = ${f.id};`);
    }
  } else if (isEnum(obj)) {
    lines.push(`${name} is an enum:`, `enum ${obj.name} {`);
    for (const [k, v] of Object.entries(obj.values)) lines.push(`  ${k} = ${v};`);
  } else {
    throw new RpcError(grpc.status.NOT_FOUND, `Symbol not found: ${symbol}`);
  }
  lines.push('}');
  return lines.join('\n');
}

// A connection to one server: reflection plus calls.
class Rpcurl {
  constructor(target) {
    this.target = target;
    this.reflection = new GrpcReflection(target, grpc.credentials.createInsecure());
    this.client = new grpc.Client(target, grpc.credentials.createInsecure());
    this.roots = new Map();
  }

  close() {
    this.client.close();
  }

  // The protobufjs Root built from the descriptors of the file defining
  // `symbol` and of every file it imports, all fetched by reflection.
  async root(symbol) {
    if (!this.roots.has(symbol)) {
      let descriptor;
      try {
        descriptor = await this.reflection.getDescriptorBySymbol(symbol);
      } catch (err) {
        // As grpcurl says it: the server's reflection does not know it.
        throw new RpcError(grpc.status.NOT_FOUND, `Symbol not found: ${symbol} (${err.message})`);
      }
      const root = descriptor.getProtobufJsRoot();
      root.resolveAll();
      this.roots.set(symbol, root);
    }
    return this.roots.get(symbol);
  }

  async listServices() {
    return (await this.reflection.listServices()).sort();
  }

  // The method names of `service`, fully qualified, as grpcurl lists them.
  async listMethods(service) {
    const root = await this.root(service);
    return root.lookupService(service).methodsArray.map((m) => `${service}.${m.name}`);
  }

  async describe(symbol) {
    // Fetch by the enclosing top-level name for nested symbols.
    const root = await this.root(symbol);
    return describeText(symbol, root.lookup(symbol));
  }

  // The details of a failed call's google.rpc.Status trailer, as JSON
  // values with "@type" first; each Any's type is fetched by reflection.
  async statusDetails(metadata) {
    const raw = metadata && metadata.get('grpc-status-details-bin');
    if (!raw || raw.length === 0) return [];
    const statusType = (await this.root('google.rpc.Status')).lookupType('google.rpc.Status');
    const status = statusType.decode(raw[0]);
    const out = [];
    for (const any of status.details || []) {
      const typeName = any.type_url.replace(/^.*\//, '');
      const type = (await this.root(typeName)).lookupType(typeName);
      out.push({ '@type': any.type_url, ...toJson(type, type.decode(any.value)) });
    }
    return out;
  }

  // Calls `method` ("pkg.Service/Method" or "pkg.Service.Method") with the
  // JSON text `json` and the request metadata `headers` ([name, value]
  // pairs); resolves to the response as a JSON value.
  async invoke(method, json = '{}', deadlineMs = 10000, headers = []) {
    const m = /^(.+)[/.]([^/.]+)$/.exec(method);
    if (!m) throw new RpcError(grpc.status.INVALID_ARGUMENT, `bad method name: ${method}`);
    const [, serviceName, methodName] = m;
    const root = await this.root(serviceName);
    const service = root.lookupService(serviceName);
    const rpc = service.methods[methodName];
    if (!rpc) {
      throw new RpcError(
        grpc.status.UNIMPLEMENTED,
        `service "${serviceName}" does not include a method named "${methodName}"`,
      );
    }
    rpc.resolve();
    const requestType = rpc.resolvedRequestType;
    const responseType = rpc.resolvedResponseType;
    const request = requestType.fromObject(fromJson(requestType, JSON.parse(json || '{}')));
    const path = `/${serviceName}/${methodName}`;
    const metadata = new grpc.Metadata();
    for (const [name, value] of headers) metadata.add(name, value);
    let failure;
    const response = await new Promise((resolve) => {
      this.client.makeUnaryRequest(
        path,
        (msg) => Buffer.from(requestType.encode(msg).finish()),
        (buf) => responseType.decode(buf),
        request,
        metadata,
        { deadline: Date.now() + deadlineMs },
        (err, value) => {
          failure = err;
          resolve(value);
        },
      );
    });
    if (failure) {
      throw new RpcError(failure.code, failure.details, await this.statusDetails(failure.metadata));
    }
    return toJson(responseType, response);
  }
}

// Runs one grpcurl-style command line (an argv array without "node
// rpcurl.js"); resolves to { code, out } where `out` is what grpcurl prints
// and `code` the gRPC status code (0 on success).
async function run(argv) {
  const args = [...argv];
  let data = '{}';
  const headers = [];
  const positional = [];
  while (args.length > 0) {
    const a = args.shift();
    if (a === '-plaintext') continue;
    if (a === '-d') data = args.shift();
    else if (a === '-H') {
      // grpcurl's "name: value".
      const h = /^([^:]+):\s*(.*)$/.exec(args.shift() || '');
      if (!h) throw new Error('-H takes "name: value"');
      headers.push([h[1].trim().toLowerCase(), h[2]]);
    }
    else if (a.startsWith('-')) throw new Error(`unsupported flag ${a}`);
    else positional.push(a);
  }
  const [target, command, arg] = positional;
  if (!target || !command) throw new Error('usage: rpcurl.js -plaintext [-d JSON] HOST:PORT (list [SERVICE] | describe SYMBOL | METHOD)');
  const c = new Rpcurl(target);
  try {
    if (command === 'list') {
      const names = arg ? await c.listMethods(arg) : await c.listServices();
      return { code: 0, out: names.join('\n') };
    }
    if (command === 'describe') {
      if (!arg) {
        const texts = [];
        for (const s of await c.listServices()) texts.push(await c.describe(s));
        return { code: 0, out: texts.join('\n') };
      }
      return { code: 0, out: await c.describe(arg) };
    }
    const response = await c.invoke(command, data, 10000, headers);
    return { code: 0, out: JSON.stringify(response, null, 2) };
  } catch (err) {
    if (!(err instanceof RpcError) && err.code === undefined) {
      return { code: grpc.status.UNKNOWN, out: `Failed: ${err.message || err}` };
    }
    const code = err.code === undefined ? grpc.status.UNKNOWN : err.code;
    let out = `ERROR:\n  Code: ${CODE_NAMES[code]}\n  Message: ${err.details || err.message}`;
    // As grpcurl prints them: numbered, each an indented JSON object whose
    // later lines are indented past the number.
    const details = err.statusDetails || [];
    if (details.length > 0) out += '\n  Details:';
    details.forEach((d, i) => {
      const prefix = `  ${i + 1})`;
      const lines = JSON.stringify(d, null, 2).split('\n');
      out += `\n${prefix}\t${lines[0]}`;
      for (const line of lines.slice(1)) out += `\n${' '.repeat(prefix.length)}\t${line}`;
    });
    return { code, out };
  } finally {
    c.close();
  }
}

module.exports = { Rpcurl, RpcError, run, fromJson, toJson };

if (require.main === module) {
  run(process.argv.slice(2)).then(
    ({ code, out }) => {
      (code === 0 ? process.stdout : process.stderr).write(`${out}\n`);
      process.exit(code === 0 ? 0 : 64 + code);
    },
    (err) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    },
  );
}
