// server-clients.mjs - third-party clients of the CFOST sync server (docs/SERVER.md, "Sync"), written
// against the wire protocol only, with npm's `ws` (WebSocket /v1/sync) and `eventsource` (SSE
// /v1/sync/events). cfost-server's ThirdPartyClientsIT runs it and asserts on what it printed.
//
// Needs Node 20+ and the packages of the package.json beside it, installed next to this script
// (`npm ci`; the test copies the script into its install folder).
//
//   node server-clients.mjs ws-pull --url URL --database ID --token T --device ID --site HEX --topic HEX
//       [--cursor C]
//     Reads the server's hello, sends its own, waits for the server's request, sends `request` with C
//     (default the start, 0:0:9223372036854775807), collects `changes` (answering `received`) until
//     `eose`, then sends `ack` with the last batch's cursor and closes.
//   node server-clients.mjs ws-push ... --message FILE
//     As ws-pull up to the server's request, then sends FILE's text (a `changes` message) as one frame
//     and waits for the server's `ack`.
//   node server-clients.mjs sse --url URL --database ID --token T [--site HEX] [--last-event-id C]
//       [--live N] [--ack] [--reconnect]
//     Reads /v1/sync/events (Authorization header through eventsource's `fetch` option) until `eose`,
//     then N more live `changes`; --ack POSTs {"type":"ack"} with the last batch's cursor to
//     /v1/sync/messages; --reconnect then prints {"waiting":"reconnect"}, waits for a line on stdin, and
//     opens the stream again with Last-Event-ID set to the last event id seen, until its `eose`.
//
// Output: one JSON object per line on stdout.
//   {"client":"ws","dir":"in"|"out","type":T,"raw":TEXT}          every frame, TEXT exactly as on the wire
//   {"client":"sse","connection":K,"response":{"status","content_type","cache_control","accel_buffering"}}
//   {"client":"sse","connection":K,"event":E,"id":LAST_EVENT_ID,"data":TEXT}
//   {"client":"sse","posted":"ack","cursor":C,"status":S}
//   {"done":true}                                                  the run succeeded (exit code 0)
//   {"error":TEXT}                                                 it failed (exit code 1)
// Diagnostics go to stderr. Nothing is retried: any surprise ends the run with {"error"}.
import fs from 'node:fs';
import { WebSocket } from 'ws';
import { EventSource } from 'eventsource';

const START = '0:0:9223372036854775807';
const print = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const fail = (message) => {
  print({ error: message });
  process.exit(1);
};

function parseArgs(argv) {
  const [command, ...rest] = argv;
  const flags = { command };
  for (let i = 0; i < rest.length; i++) {
    const name = rest[i];
    if (!name.startsWith('--')) fail(`unexpected argument '${name}'`);
    const key = name.slice(2);
    if (['ack', 'reconnect'].includes(key)) {
      flags[key] = true;
    } else {
      if (i + 1 >= rest.length) fail(`${name} needs a value`);
      flags[key] = rest[++i];
    }
  }
  return flags;
}

function need(flags, ...keys) {
  for (const k of keys) if (flags[k] === undefined) fail(`${flags.command} needs --${k}`);
}

const args = parseArgs(process.argv.slice(2));
const timeoutMs = Number(args['timeout-ms'] ?? 20000);
setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs).unref();

// ---------- WebSocket /v1/sync ----------

function wsRun(flags) {
  need(flags, 'url', 'database', 'token', 'device', 'site', 'topic');
  const push = flags.command === 'ws-push';
  if (push) need(flags, 'message');
  const pushed = push ? fs.readFileSync(flags.message, 'utf8') : null;
  const pushedCursor = push ? JSON.parse(pushed).cursor : null;
  const url = `${flags.url.replace(/^http/, 'ws')}/v1/sync?database=${encodeURIComponent(flags.database)}`;
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${flags.token}` } });
  let serverHello = null;
  let at = flags.cursor ?? START; // the server's stream position as this client holds it
  let lastBatch = null;
  let finished = false;

  const send = (message) => {
    const raw = JSON.stringify(message);
    print({ client: 'ws', dir: 'out', type: message.type, raw });
    ws.send(raw);
  };
  const finish = () => {
    finished = true;
    ws.close(1000, 'done');
  };

  ws.on('unexpected-response', (req, res) => fail(`the upgrade was refused: HTTP ${res.statusCode}`));
  ws.on('error', (e) => fail(`websocket error: ${e.message}`));
  ws.on('close', (code, reason) => {
    if (!finished) fail(`the server closed the socket: ${code} ${reason}`);
    print({ done: true });
    process.exit(0);
  });
  ws.on('message', (data, isBinary) => {
    if (isBinary) fail('a binary frame');
    const raw = data.toString('utf8');
    let m;
    try {
      m = JSON.parse(raw);
    } catch (e) {
      fail(`a frame that is not JSON: ${raw.slice(0, 200)}`);
    }
    print({ client: 'ws', dir: 'in', type: m.type, raw });
    if (finished) return;
    switch (m.type) {
      case 'hello':
        if (serverHello) fail('a second hello');
        serverHello = m;
        if (m.protocol !== 1) fail(`protocol ${m.protocol}`);
        if (m.topic !== flags.topic) fail(`the server's topic ${m.topic} is not ${flags.topic}`);
        send({ type: 'hello', protocol: 1, topic: flags.topic, site_id: flags.site, device_id: flags.device,
          schema_version: 0, capabilities: ['changes', 'live'] });
        break;
      case 'request': // the cursor the server holds for this device's stream
        if (!serverHello) fail('a request before hello');
        if (push) {
          print({ client: 'ws', dir: 'out', type: 'changes', raw: pushed });
          ws.send(pushed);
        } else {
          send({ type: 'request', cursor: at });
        }
        break;
      case 'changes':
        if (push) break;
        if (m.from !== at) fail(`a batch from ${m.from}, expected ${at}`);
        send({ type: 'received', cursor: m.cursor });
        at = m.cursor;
        lastBatch = m.cursor;
        break;
      case 'eose':
        if (push) break;
        if (m.from !== at) fail(`eose from ${m.from}, expected ${at}`);
        at = m.cursor;
        if (lastBatch) send({ type: 'ack', cursor: lastBatch });
        finish();
        break;
      case 'received':
        break;
      case 'ack':
        if (!push) fail('an ack for a batch never sent');
        if (m.cursor !== pushedCursor) fail(`ack ${m.cursor}, expected ${pushedCursor}`);
        finish();
        break;
      case 'ping':
        send({ type: 'pong', id: m.id });
        break;
      case 'error':
        fail(`the server refused: ${m.code}: ${m.message}`);
        break;
      default:
        fail(`unexpected message ${m.type}`);
    }
  });
}

// ---------- SSE /v1/sync/events ----------

async function sseRun(flags) {
  need(flags, 'url', 'database', 'token');
  const live = Number(flags.live ?? 0);
  const query = `database=${encodeURIComponent(flags.database)}${flags.site ? `&site=${flags.site}` : ''}`;
  const auth = { Authorization: `Bearer ${flags.token}` };
  let lastBatch = null;
  let lastId = flags['last-event-id'] ?? null;

  // One connection: resolves with the id of its last event once `eose` and `live` more batches arrived.
  const connect = (connection, lastEventId) => new Promise((resolve) => {
    let eose = false;
    let liveSeen = 0;
    let id = lastEventId;
    const es = new EventSource(`${flags.url}/v1/sync/events?${query}`, {
      fetch: async (input, init) => {
        const headers = { ...init.headers, ...auth };
        if (lastEventId) headers['Last-Event-ID'] = lastEventId;
        const response = await fetch(input, { ...init, headers });
        print({ client: 'sse', connection, response: { status: response.status,
          content_type: response.headers.get('content-type'), cache_control: response.headers.get('cache-control'),
          accel_buffering: response.headers.get('x-accel-buffering') } });
        return response;
      },
    });
    es.onerror = (e) => fail(`the event stream failed (connection ${connection}): ${e.code ?? ''} ${e.message ?? ''}`);
    let closed = false;
    const done = () => {
      closed = true;
      es.close();
      resolve(id);
    };
    for (const type of ['hello', 'request', 'changes', 'eose']) {
      es.addEventListener(type, (event) => {
        if (closed) return; // events of the chunk being dispatched when it closed
        print({ client: 'sse', connection, event: type, id: event.lastEventId, data: event.data });
        if (type === 'changes') {
          id = event.lastEventId;
          lastBatch = JSON.parse(event.data).cursor;
          if (eose && ++liveSeen >= live) done();
        } else if (type === 'eose') {
          id = event.lastEventId;
          if (!eose) {
            eose = true;
            if (live === 0) done();
          }
        }
      });
    }
  });

  lastId = await connect(1, lastId);
  if (flags.ack) {
    if (!lastBatch) fail('--ack, but no batch arrived');
    const response = await fetch(`${flags.url}/v1/sync/messages?database=${encodeURIComponent(flags.database)}`, {
      method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'ack', cursor: lastBatch }) });
    print({ client: 'sse', posted: 'ack', cursor: lastBatch, status: response.status });
    if (response.status !== 204) fail(`the ack got HTTP ${response.status}: ${await response.text()}`);
  }
  if (flags.reconnect) {
    print({ client: 'sse', waiting: 'reconnect', last_event_id: lastId });
    await new Promise((resolve) => process.stdin.once('data', resolve));
    process.stdin.pause();
    await connect(2, lastId);
  }
  print({ done: true });
  process.exit(0);
}

switch (args.command) {
  case 'ws-pull':
  case 'ws-push':
    wsRun(args);
    break;
  case 'sse':
    sseRun(args).catch((e) => fail(`sse: ${e.stack ?? e}`));
    break;
  default:
    fail(`unknown command '${args.command}': ws-pull, ws-push or sse`);
}
