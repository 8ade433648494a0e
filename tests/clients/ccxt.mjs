// ccxt.mjs - ccxt (with ccxt.pro) against exchange-sim, as a user would
// point it at the exchange: binance's own URL layout with only the host
// swapped (api.binance.com, stream.binance.com:9443 and
// ws-api.binance.com:443 become SIM_HOST).  Spot markets only, since the
// simulator is a Spot exchange: futures hosts are never contacted.
import ccxt from 'ccxt';
import {
	apiKey, call, clientId, expect, finish, keyType, run, secret, show,
	simHost, withDeadline,
} from './harness.mjs';
import { refPrice } from './refprice.mjs';

const K = `ccxt/${keyType}`;
const SYM = 'BTC/USDT';
const HOSTS = ['api.binance.com', 'stream.binance.com:9443', 'ws-api.binance.com:443'];

// Rewrite every URL of the tree host for host; nothing else changes.
const swapHosts = (v) => {
	if (typeof v === 'string') {
		for (const h of HOSTS)
			v = v.replace(`//${h}/`, `//${simHost}/`);
		return v;
	}
	if (v && typeof v === 'object')
		for (const k of Object.keys(v))
			v[k] = swapHosts(v[k]);
	return v;
};

const ex = new ccxt.pro.binance({
	apiKey,
	secret,
	enableRateLimit: false,
	timeout: 10000,
	options: {
		defaultType: 'spot',
		fetchMarkets: { types: ['spot'] },
		// /sapi/v1/capital/config/getall and /sapi/v1/margin/allPairs
		// are the wallet's and margin's, not Spot's.
		fetchCurrencies: false,
		fetchMargins: false,
	},
});
swapHosts(ex.urls.api);

const ours = new Set(); // ids of the orders this script placed
let price = 0; // a reference price, from the simulator's own stream
let market;

// A BUY far enough under the market to rest, on the tick grid.
const restingBuy = () => Number(ex.priceToPrecision(SYM, price * 0.9));
const qty = () => Number(ex.amountToPrecision(SYM, 0.001));

const place = async (what, type, side, amount, p, params = {}) => {
	const o = await call(`createOrder ${what}`, () =>
		ex.createOrder(SYM, type, side, amount, p,
			{ newClientOrderId: clientId(what.slice(0, 2)), ...params }));
	if (o && o.id)
		ours.add(o.id);
	return o;
};

const openIds = async () => (await call('fetchOpenOrders',
	() => ex.fetchOpenOrders(SYM))).map((o) => o.id);

const main = async () => {
	price = await refPrice(simHost, 'btcusdt');

	await run(`${K}/loadMarkets`, async () => {
		const m = await call('loadMarkets', () => ex.loadMarkets());
		market = m[SYM];
		expect(market && market.spot && market.id === 'BTCUSDT',
			'loadMarkets', market && { id: market.id, spot: market.spot },
			'BTC/USDT, spot, id BTCUSDT');
		expect(market.precision.price > 0 && market.limits.amount.min > 0,
			'loadMarkets', { precision: market.precision, limits: market.limits.amount },
			'the filters as precision and limits');
	});
	if (!market) {
		console.log(`${K}: no markets: the other cases cannot run`);
		return;
	}

	await run(`${K}/fetchTicker`, async () => {
		const t = await call('fetchTicker', () => ex.fetchTicker(SYM));
		expect(t.symbol === SYM && t.last > 0 && t.bid > 0 && t.ask >= t.bid,
			'fetchTicker', t, 'symbol, last, bid <= ask');
	});

	await run(`${K}/fetchOrderBook`, async () => {
		const b = await call('fetchOrderBook', () => ex.fetchOrderBook(SYM, 10));
		expect(b.bids.length > 0 && b.asks.length > 0 && b.bids[0][0] < b.asks[0][0],
			'fetchOrderBook', { bids: b.bids.slice(0, 2), asks: b.asks.slice(0, 2) },
			'both sides, best bid under best ask');
	});

	await run(`${K}/fetchBalance`, async () => {
		const b = await call('fetchBalance', () => ex.fetchBalance());
		expect(b.USDT && b.USDT.free > 0 && b.BTC && b.BTC.total >= 0,
			'fetchBalance', { USDT: b.USDT, BTC: b.BTC }, 'USDT free > 0, BTC');
	});

	let limit;
	await run(`${K}/createOrder(LIMIT)`, async () => {
		const p = restingBuy();
		limit = await place('LIMIT', 'limit', 'buy', qty(), p);
		expect(limit.id && limit.status === 'open' && limit.price === p &&
			limit.amount === qty() && limit.filled === 0,
			'createOrder LIMIT', limit.info, `an open order at ${p}`);
	});

	await run(`${K}/fetchOrder`, async () => {
		expect(limit, 'createOrder LIMIT', limit, 'an order to fetch');
		const o = await call('fetchOrder', () => ex.fetchOrder(limit.id, SYM));
		expect(o.id === limit.id && o.status === 'open' && o.price === limit.price &&
			o.clientOrderId === limit.clientOrderId,
			'fetchOrder', o.info, `order ${limit.id}, open`);
	});

	await run(`${K}/fetchOpenOrders`, async () => {
		expect(limit, 'createOrder LIMIT', limit, 'an order to list');
		const ids = await openIds();
		expect(ids.includes(limit.id), 'fetchOpenOrders', ids, `to include ${limit.id}`);
	});

	await run(`${K}/cancelOrder`, async () => {
		expect(limit, 'createOrder LIMIT', limit, 'an order to cancel');
		const c = await call('cancelOrder', () => ex.cancelOrder(limit.id, SYM));
		expect(c.id === limit.id && c.status === 'canceled', 'cancelOrder', c.info,
			`order ${limit.id} canceled`);
		const ids = await openIds();
		expect(!ids.includes(limit.id), 'fetchOpenOrders', ids,
			`not to include ${limit.id} after its cancel`);
	});

	await run(`${K}/createOrder(MARKET)`, async () => {
		const o = await place('MARKET', 'market', 'buy', qty());
		expect(o.status === 'closed' && o.filled === qty() && o.average > 0,
			'createOrder MARKET', o.info, `FILLED, ${qty()} at an average price`);
	});

	await run(`${K}/createOrder(IOC)`, async () => {
		const p = restingBuy();
		const o = await place('IOC', 'limit', 'buy', qty(), p, { timeInForce: 'IOC' });
		expect(o.status === 'expired' && o.filled === 0 && o.timeInForce === 'IOC',
			'createOrder IOC under the market', o.info, 'EXPIRED, nothing filled');
		const ids = await openIds();
		expect(!ids.includes(o.id), 'fetchOpenOrders', ids, `not to include the IOC ${o.id}`);
	});

	await run(`${K}/createOrder(FOK)`, async () => {
		const p = restingBuy();
		const o = await place('FOK', 'limit', 'buy', qty(), p, { timeInForce: 'FOK' });
		expect(o.status === 'expired' && o.filled === 0 && o.timeInForce === 'FOK',
			'createOrder FOK under the market', o.info, 'EXPIRED, nothing filled');
		const ids = await openIds();
		expect(!ids.includes(o.id), 'fetchOpenOrders', ids, `not to include the FOK ${o.id}`);
	});

	await run(`${K}/createOrder(LIMIT_MAKER)`, async () => {
		const p = restingBuy();
		const o = await place('LIMIT_MAKER', 'limit', 'buy', qty(), p, { postOnly: true });
		expect(o.status === 'open' && o.info.type === 'LIMIT_MAKER' && o.postOnly === true,
			'createOrder postOnly', o.info, 'an open LIMIT_MAKER');
		await call('cancelOrder', () => ex.cancelOrder(o.id, SYM));
		const crossing = Number(ex.priceToPrecision(SYM, price * 1.05));
		let got;
		try {
			got = await place('LIMIT_MAKER crossing', 'limit', 'buy', qty(), crossing,
				{ postOnly: true });
		} catch (e) {
			got = e.cause ?? e;
		}
		expect(got instanceof ccxt.OrderImmediatelyFillable, 'createOrder postOnly over the ask',
			got instanceof Error ? show(got) : got.info,
			'refused: -2010 "Order would immediately match and take."');
	});

	await run(`${K}/watchTrades`, async () => {
		const t = await call('watchTrades', () => ex.watchTrades(SYM));
		expect(t.length > 0 && t[0].symbol === SYM && t[0].price > 0 && t[0].amount > 0,
			'watchTrades', t.slice(0, 2), 'trades of BTC/USDT');
	});

	await run(`${K}/watchTicker`, async () => {
		const t = await call('watchTicker', () => ex.watchTicker(SYM));
		expect(t.symbol === SYM && t.last > 0, 'watchTicker', t, 'a BTC/USDT ticker');
	});

	await run(`${K}/watchOrderBook`, async () => {
		let b = await call('watchOrderBook', () => ex.watchOrderBook(SYM, 10));
		const n0 = b.nonce;
		b = await call('watchOrderBook', () => ex.watchOrderBook(SYM, 10));
		expect(b.bids.length > 0 && b.asks.length > 0 && b.bids[0][0] < b.asks[0][0],
			'watchOrderBook', { bids: b.bids.slice(0, 2), asks: b.asks.slice(0, 2) },
			'both sides, best bid under best ask');
		expect(b.nonce >= n0, 'watchOrderBook', { before: n0, after: b.nonce },
			'update ids that do not go back');
	});

	await run(`${K}/watchOrders`, async () => {
		// The user data subscription (userDataStream.subscribe.signature,
		// answered) before the order it must see, as watchOrders makes it.
		await call('authenticate', () => ex.authenticate({ type: 'spot' }));
		const seen = ex.watchOrders(SYM);
		seen.catch(() => {});
		const o = await place('watchOrders', 'limit', 'buy', qty(), restingBuy());
		const got = await call('watchOrders', () => withDeadline(seen, 8000,
			`watchOrders (after order ${o.id})`));
		const mine = got.find((x) => x.id === o.id);
		expect(mine && mine.status === 'open', 'watchOrders', got.map((x) => x.info),
			`an executionReport NEW for ${o.id}`);
		await call('cancelOrder', () => ex.cancelOrder(o.id, SYM));
	});

	await run(`${K}/watchBalance`, async () => {
		await call('authenticate', () => ex.authenticate({ type: 'spot' }));
		const seen = ex.watchBalance();
		seen.catch(() => {});
		const o = await place('watchBalance', 'limit', 'buy', qty(), restingBuy());
		const b = await call('watchBalance', () => withDeadline(seen, 8000,
			`watchBalance (after order ${o.id})`));
		expect(b.USDT && b.USDT.used > 0, 'watchBalance', b.info ?? b,
			'an outboundAccountPosition with USDT locked');
		await call('cancelOrder', () => ex.cancelOrder(o.id, SYM));
	});

	// Whatever a failed case left is cancelled; the shell asserts none is left.
	for (const id of ours) {
		try {
			await ex.cancelOrder(id, SYM);
		} catch {
			// gone already (filled, expired or cancelled)
		}
	}
};

try {
	await main();
} catch (e) {
	console.log(`FAIL: ${K}: ${show(e)}`);
	process.exitCode = 1;
}
await ex.close().catch(() => {});
finish('ccxt');
