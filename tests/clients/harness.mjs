// harness.mjs - what the client checks share: the simulator's address and
// keys from the environment, each case run under its own deadline, and one
// line per case: "ok:", "FAIL:" (which call, and what came back), or
// "xfail:" for a case named in the expected-failure list (a gap of the
// simulator that is known and tracked).  A listed case that passes is
// reported "XPASS:" so that the list can shrink.  The exit code is the
// number of unexpected failures (at most 100).
import { webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';

// The binance SDK signs with the global WebCrypto, which Node.js has
// without a flag from version 19 on; Debian 12's Node.js is 18.
if (globalThis.crypto === undefined)
	globalThis.crypto = webcrypto;

export const env = (name) => {
	const v = process.env[name];
	if (v === undefined || v === '')
		throw new Error(`${name} is not set`);
	return v;
};

// SIM_HOST is host:port; the clients keep their own URLs, host swapped.
export const simHost = env('SIM_HOST');
export const keyType = env('KEY_TYPE'); // hmac or ed25519
export const apiKey = env('API_KEY');
export const secret = keyType === 'hmac' ? env('API_SECRET')
	: readFileSync(env('PRIVATE_KEY_FILE'), 'utf8');
export const caseTimeoutMs = Number(process.env.CASE_TIMEOUT_MS || 20000);

// The expected-failure list: one glob per line ("ccxt/*/watchTicker"),
// a reason after whitespace; '#' starts a comment.
const xfail = [];
if (process.env.XFAIL_FILE) {
	for (const line of readFileSync(process.env.XFAIL_FILE, 'utf8').split('\n')) {
		const t = line.replace(/#.*/, '').trim();
		if (t === '')
			continue;
		const glob = t.split(/\s+/)[0];
		const re = new RegExp('^' + glob.replace(/[.+^${}()|[\]\\]/g, '\\$&')
			.replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
		xfail.push(re);
	}
}
const expectedToFail = (name) => xfail.some((re) => re.test(name));

// Bytes from the network are shown escaped: no control characters reach
// the terminal, and a long reply is cut.
export const show = (v) => {
	let s;
	if (v instanceof Error)
		s = `${v.constructor.name}: ${v.message}`;
	else if (v && typeof v === 'object' && 'requestUrl' in v && 'body' in v)
		// the binance SDK's HTTP error: the request and the reply's body
		s = `${v.requestUrl}: ` + (typeof v.body === 'string' ? v.body
			: JSON.stringify(v.body));
	else if (typeof v === 'string')
		s = v;
	else {
		try {
			s = JSON.stringify(v);
		} catch {
			s = String(v);
		}
	}
	if (s === undefined)
		s = String(v);
	s = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
		(c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
	return s.length > 600 ? s.slice(0, 600) + '...' : s;
};

// A failed expectation: the call, and what came back.
export class Mismatch extends Error {
	constructor(call, got, want) {
		super(`${call} returned ${show(got)}` + (want ? `; want ${want}` : ''));
	}
}

export const expect = (cond, call, got, want) => {
	if (!cond)
		throw new Mismatch(call, got, want);
};

// call NAME FN: await FN(), naming the call in the error it may throw.
export const call = async (name, fn) => {
	try {
		return await fn();
	} catch (e) {
		if (e instanceof Mismatch)
			throw e;
		const err = new Error(`${name} threw ${show(e)}`);
		err.cause = e;
		throw err;
	}
};

export const withDeadline = (p, ms, name) => {
	let timer;
	const dead = new Promise((_, reject) => {
		timer = setTimeout(() => reject(new Error(
			`${name}: nothing after ${ms} ms`)), ms);
	});
	return Promise.race([p, dead]).finally(() => clearTimeout(timer));
};

// A client's internal promise that nobody awaits may reject after its
// case has failed already (a WebSocket refused): noted, not fatal.
process.on('unhandledRejection', (e) => {
	console.log(`note: a rejection nobody awaited: ${show(e)}`);
});

let failures = 0;
const counts = { ok: 0, fail: 0, xfail: 0, xpass: 0 };

// run NAME FN: one case.  Cases run one after another: what one places
// must not be cancelled under another.
export const run = async (name, fn, ms = caseTimeoutMs) => {
	const listed = expectedToFail(name);
	try {
		await withDeadline(Promise.resolve().then(fn), ms, name);
		if (listed) {
			counts.xpass++;
			console.log(`XPASS: ${name} (passes now: remove it from the expected-failure list)`);
		} else {
			counts.ok++;
			console.log(`ok: ${name}`);
		}
		return true;
	} catch (e) {
		const why = e instanceof Error ? e.message : show(e);
		if (listed) {
			counts.xfail++;
			console.log(`xfail: ${name}: ${show(why)}`);
		} else {
			counts.fail++;
			failures++;
			console.log(`FAIL: ${name}: ${show(why)}`);
		}
		return false;
	}
};

export const finish = (client) => {
	console.log(`${client}: ${counts.ok} passed, ${counts.fail} failed, ` +
		`${counts.xfail} expected failures, ${counts.xpass} unexpectedly passed`);
	process.exit(Math.min(failures, 100));
};

// waitFor WHAT PRED MS: poll PRED every 20 ms until it holds.
export const waitFor = async (what, pred, ms = 10000) => {
	const end = Date.now() + ms;
	for (;;) {
		const v = await pred();
		if (v)
			return v;
		if (Date.now() > end)
			throw new Error(`${what}: not within ${ms} ms`);
		await new Promise((r) => setTimeout(r, 20));
	}
};

// A client order id unique to this run.
let seq = 0;
export const clientId = (tag) =>
	`sc${keyType[0]}${tag}${Date.now().toString(36)}${(seq++).toString(36)}`;
