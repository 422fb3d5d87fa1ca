// Echo scenario check for holdfast's `echo` route, for k6 v1 (k6/websockets).
//
// Each virtual user opens a WebSocket to ws://WS_HOST:WS_PORT/echo, sends MESSAGES messages one at
// a time (text and binary in turn, INTERVAL_MS apart), checks that each reply is the message it
// sent, byte for byte and of the same frame type, closes with 1000, and then connects again,
// CONNECTIONS times in all. The users' first connections are spread evenly over RAMP_S seconds.
// A connection stays open about MESSAGES × INTERVAL_MS (10 s with the defaults).
//
// The run fails (k6 exits non-zero) when any reply is missing (not there REPLY_TIMEOUT_MS after its
// message), different, of the other frame type or one too many, when a connection fails or is
// closed with anything but 1000, or when a user did not finish all of its connections within
// MAX_DURATION. k6 keeps no metrics from a connection it cuts off at MAX_DURATION (plus 10 s
// to finish): such connections show only as echo_connections_ok below its target.
//
//   k6 run -e WS_PORT=18720 -e VUS=1000 bench/k6/echo.js
//   k6 run -e WS_PORT=18720 bench/k6/vus-1000.js      # the same, with the level fixed in the file
//
// Environment (-e NAME=value), with defaults:
//   WS_HOST 127.0.0.1 (loopback only)   WS_PORT 8080   WS_PATH /echo
//   VUS 100   CONNECTIONS 3 (per user)   MESSAGES 5 (per connection)   INTERVAL_MS 2000
//   SIZE 64 (bytes per message, at least 32)   REPLY_TIMEOUT_MS 30000 (later is lost)
//   RAMP_S 1, 2, 5 or 10 for up to 100, 1000, 5000 or more users   MAX_DURATION 2m
//
// The per-message work is kept small (payloads from a template, binary compared through base64,
// metrics and checks once per connection) so that one k6 process can drive thousands of users.
import { check, sleep } from 'k6';
import { b64encode } from 'k6/encoding';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import { WebSocket } from 'k6/websockets';

const env = (name, fallback) =>
  __ENV[name] !== undefined && __ENV[name] !== '' ? __ENV[name] : fallback;
const int = (name, fallback) => {
  const v = Number(env(name, fallback));
  if (!Number.isInteger(v) || v < 0) {
    throw new Error(`${name} must be a whole number, got ${env(name, fallback)}`);
  }
  return v;
};

const HOST = env('WS_HOST', '127.0.0.1');
if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(HOST)) {
  throw new Error(`WS_HOST must be a loopback address (127.0.0.0/8), got ${HOST}`);
}
const URL = `ws://${HOST}:${int('WS_PORT', 8080)}${env('WS_PATH', '/echo')}`;
const MESSAGES = Math.max(1, int('MESSAGES', 5));
const INTERVAL_MS = int('INTERVAL_MS', 2000);
const SIZE = Math.max(32, int('SIZE', 64));
const REPLY_TIMEOUT_MS = Math.max(1, int('REPLY_TIMEOUT_MS', 30000));

// Seconds over which the users' first connections are spread, by number of users.
function defaultRamp(vus) {
  if (vus <= 100) return 1;
  if (vus <= 1000) return 2;
  if (vus <= 5000) return 5;
  return 10;
}

const sent = new Counter('echo_sent');                 // messages sent
const received = new Counter('echo_received');         // replies that were the message sent
const lost = new Counter('echo_lost');                 // messages sent and never answered
const wrong = new Counter('echo_wrong');               // replies that differ, or one too many
const completed = new Counter('echo_connections_ok');  // connections that did everything right
const wsErrors = new Counter('echo_ws_errors');        // failed connects, dropped sockets

// The options for a run with `vus` users. The thresholds are absolute: one lost or wrong reply,
// or one connection fewer than vus × CONNECTIONS completed, fails the run.
export function scenario(vus) {
  const connections = Math.max(1, int('CONNECTIONS', 3));
  const ramp = int('RAMP_S', defaultRamp(vus));
  return {
    scenarios: {
      echo: {
        executor: 'per-vu-iterations',
        vus,
        iterations: connections,
        maxDuration: env('MAX_DURATION', '2m'),
        gracefulStop: '10s',
        env: { RAMP_S: String(ramp), LEVEL_VUS: String(vus) },
      },
    },
    thresholds: {
      checks: ['rate==1'],
      echo_lost: ['count==0'],
      echo_wrong: ['count==0'],
      echo_ws_errors: ['count==0'],
      echo_connections_ok: [`count==${vus * connections}`],
      echo_received: [`count==${vus * connections * MESSAGES}`],
    },
    summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(99)', 'max'],
  };
}

export const options = scenario(int('VUS', 100));

// Payload templates, built once per user: `k6 <vu> <conn> <seq> ` then filler up to SIZE.
const FILLER = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(Math.ceil(SIZE / 36) + 1);
const BINARY = (() => {
  const b = new Uint8Array(SIZE);
  for (let i = 0; i < SIZE; i++) b[i] = (i * 37 + 11) & 0xff;
  return b.buffer;
})();

// Message `seq` of connection `conn` of user `vu`: even ones are text, odd ones binary. Returns the
// payload to send and what the reply must be (the text itself, or the binary's base64).
function message(vu, conn, seq) {
  if (seq % 2 === 0) {
    const head = `k6 ${vu} ${conn} ${seq} `;
    const text = head + FILLER.slice(0, SIZE - head.length);
    return [text, text];
  }
  const buf = BINARY.slice(0);
  const view = new DataView(buf);
  view.setUint32(0, vu);
  view.setUint32(4, conn);
  view.setUint32(8, seq);
  return [buf, b64encode(buf)];
}

// Whether `reply` is the expected message: the same text, or binary with the same bytes.
function same(reply, expected) {
  if (typeof reply === 'string') return reply === expected && expected.startsWith('k6 ');
  return (
    reply instanceof ArrayBuffer && !expected.startsWith('k6 ') && b64encode(reply) === expected
  );
}

export default function () {
  const vu = exec.vu.idInTest;
  const conn = exec.vu.iterationInScenario;
  if (conn === 0) {
    const vus = Number(__ENV.LEVEL_VUS) || 1;
    sleep((((vu - 1) % vus) * (Number(__ENV.RAMP_S) || 0)) / vus);
  }

  const ws = new WebSocket(URL);
  ws.binaryType = 'arraybuffer';
  let seq = 0;         // messages sent on this connection
  let got = 0;         // replies that were the message sent
  let bad = 0;         // replies that were not
  let pending = null;  // what the reply to the outstanding message must be
  let timer = null;    // the reply deadline, or the pause before the next message
  let opened = false;
  let errors = 0;
  let problem = '';

  const fail = (what) => {
    if (problem === '') problem = what;
    ws.close();
  };
  const sendNext = () => {
    const [payload, expected] = message(vu, conn, seq++);
    pending = expected;
    ws.send(payload);
    timer = setTimeout(() => {
      timer = null;
      fail(`no reply to message ${seq - 1} within ${REPLY_TIMEOUT_MS} ms`);
    }, REPLY_TIMEOUT_MS);
  };

  ws.onopen = () => {
    opened = true;
    sendNext();
  };
  ws.onmessage = (e) => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (pending === null || !same(e.data, pending)) {
      bad++;
      fail(pending === null ? `a reply too many after ${got}` : `reply ${got} is not the message`);
      pending = null;
      return;
    }
    pending = null;
    got++;
    // After the last reply the connection stays open one more interval, so that a reply too many
    // is still seen (k6 drops messages that arrive after close()).
    timer = setTimeout(got === MESSAGES ? () => ws.close() : sendNext, INTERVAL_MS);
  };
  ws.onerror = (e) => {
    errors++;
    if (problem === '') problem = e.error;
  };
  ws.onclose = (e) => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const missing = pending !== null ? 1 : 0;
    sent.add(seq);
    received.add(got);
    lost.add(missing);
    wrong.add(bad);
    wsErrors.add(errors);
    const ok = check(e, {
      'connected': () => opened,
      'every reply is the message sent': () => bad === 0 && missing === 0,
      'every message answered': () => got === MESSAGES,
      'closed with 1000': (ev) => ev.code === 1000,
    });
    if (ok && problem === '') {
      completed.add(1);
    } else {
      const why = problem || `closed with ${e.code}`;
      console.warn(`vu ${vu} connection ${conn}: ${why} (${got} of ${MESSAGES} replies)`);
    }
  };
}
