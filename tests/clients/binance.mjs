// binance.mjs - tiagosiebler's `binance` SDK against exchange-sim: its
// MainClient for REST, its WebsocketClient for the market streams (bare
// /stream, then SUBSCRIBE) and the listenKey user data stream, and its
// WebsocketAPIClient for the user data stream of the WebSocket API.  Its
// own URL layout, the host swapped: baseUrl https://SIM_HOST for
// https://api.binance.com, wsUrl wss://SIM_HOST for
// wss://stream.binance.com:9443 and wss://ws-api.binance.com:443 (the SDK
// adds /stream, /ws/<listenKey> and /ws-api/v3 itself).
import { MainClient, WebsocketAPIClient, WebsocketClient } from 'binance';
import {
	apiKey, call, expect, finish, keyType, run, secret, show, simHost,
	waitFor, withDeadline,
} from './harness.mjs';
import { refPrice } from './refprice.mjs';

const K = `binance/${keyType}`;
const SYMBOL = 'BTCUSDT';
const baseUrl = `https://${simHost}`;
const wsUrl = `wss://${simHost}`;
const keys = { api_key: apiKey, api_secret: secret };

// The SDK's messages go nowhere: the cases report what matters.
const quiet = { trace() {}, info() {}, error() {}, warning() {}, debug() {} };

const rest = new MainClient({ ...keys, baseUrl }, { timeout: 10000 });
let price = 0;
const ours = new Set();

const tick = 0.01; // BTCUSDT's PRICE_FILTER, checked by the exchangeInfo case
const atTick = (p) => (Math.round(p / tick) * tick).toFixed(2);
const restingBuy = () => atTick(price * 0.9);
const QTY = '0.00100';

const submit = async (what, params) => {
	const o = await call(`submitNewOrder ${what}`, () =>
		rest.submitNewOrder({ symbol: SYMBOL, side: 'BUY', quantity: QTY, ...params }));
	if (o && o.orderId !== undefined)
		ours.add(o.orderId);
	return o;
};
const openIds = async () => (await call('getOpenOrders',
	() => rest.getOpenOrders({ symbol: SYMBOL }))).map((o) => o.orderId);
const cancel = (orderId) => call('cancelOrder', () =>
	rest.cancelOrder({ symbol: SYMBOL, orderId }));

// Events of one WebSocket client, kept for the cases to wait on.
const collector = (client) => {
	const events = [];
	client.on('message', (m) => events.push(m));
	client.on('exception', (e) => events.push({ exception: e }));
	return events;
};
const eventOf = (events, pred) => events.find((m) => {
	const ev = m && m.event && typeof m.event === 'object' ? m.event : m;
	return pred(ev);
});

const main = async () => {
	price = await refPrice(simHost, 'btcusdt');

	await run(`${K}/getExchangeInfo`, async () => {
		const info = await call('getExchangeInfo', () => rest.getExchangeInfo({ symbol: SYMBOL }));
		const s = info.symbols && info.symbols[0];
		const pf = s && s.filters.find((f) => f.filterType === 'PRICE_FILTER');
		expect(s && s.symbol === SYMBOL && pf && Number(pf.tickSize) === tick,
			'getExchangeInfo', s, `${SYMBOL} with tickSize ${tick}`);
	});

	await run(`${K}/getSymbolPriceTicker`, async () => {
		const t = await call('getSymbolPriceTicker', () =>
			rest.getSymbolPriceTicker({ symbol: SYMBOL }));
		expect(t.symbol === SYMBOL && Number(t.price) > 0, 'getSymbolPriceTicker', t,
			'a price of BTCUSDT');
	});

	await run(`${K}/get24hrChangeStatistics`, async () => {
		const t = await call('get24hrChangeStatistics', () =>
			rest.get24hrChangeStatistics({ symbol: SYMBOL }));
		expect(t.symbol === SYMBOL && Number(t.lastPrice) > 0, 'get24hrChangeStatistics',
			t, 'a 24 h ticker of BTCUSDT');
	});

	await run(`${K}/getOrderBook`, async () => {
		const b = await call('getOrderBook', () => rest.getOrderBook({ symbol: SYMBOL, limit: 10 }));
		expect(b.lastUpdateId > 0 && b.bids.length > 0 && b.asks.length > 0 &&
			Number(b.bids[0][0]) < Number(b.asks[0][0]), 'getOrderBook',
			{ lastUpdateId: b.lastUpdateId, bids: b.bids.slice(0, 2), asks: b.asks.slice(0, 2) },
			'both sides, best bid under best ask');
	});

	await run(`${K}/getAccountInformation`, async () => {
		const a = await call('getAccountInformation', () => rest.getAccountInformation());
		const usdt = a.balances && a.balances.find((b) => b.asset === 'USDT');
		expect(usdt && Number(usdt.free) > 0, 'getAccountInformation', usdt ?? a,
			'a USDT balance');
	});

	let limit;
	await run(`${K}/submitNewOrder(LIMIT)`, async () => {
		const p = restingBuy();
		limit = await submit('LIMIT', { type: 'LIMIT', timeInForce: 'GTC', price: p });
		expect(limit.orderId !== undefined && limit.status === 'NEW' &&
			Number(limit.price) === Number(p), 'submitNewOrder LIMIT', limit,
			`NEW at ${p}`);
	});

	await run(`${K}/getOrder`, async () => {
		expect(limit, 'submitNewOrder LIMIT', limit, 'an order to fetch');
		const o = await call('getOrder', () =>
			rest.getOrder({ symbol: SYMBOL, orderId: limit.orderId }));
		expect(o.orderId === limit.orderId && o.status === 'NEW' &&
			o.clientOrderId === limit.clientOrderId, 'getOrder', o,
			`order ${limit.orderId}, NEW`);
	});

	await run(`${K}/getOpenOrders`, async () => {
		expect(limit, 'submitNewOrder LIMIT', limit, 'an order to list');
		const ids = await openIds();
		expect(ids.includes(limit.orderId), 'getOpenOrders', ids,
			`to include ${limit.orderId}`);
	});

	await run(`${K}/cancelOrder`, async () => {
		expect(limit, 'submitNewOrder LIMIT', limit, 'an order to cancel');
		const c = await cancel(limit.orderId);
		expect(c.orderId === limit.orderId && c.status === 'CANCELED' &&
			c.origClientOrderId === limit.clientOrderId, 'cancelOrder', c,
			`order ${limit.orderId} CANCELED`);
		const ids = await openIds();
		expect(!ids.includes(limit.orderId), 'getOpenOrders', ids,
			`not to include ${limit.orderId}`);
	});

	await run(`${K}/submitNewOrder(MARKET)`, async () => {
		const o = await submit('MARKET', { type: 'MARKET', newOrderRespType: 'FULL' });
		expect(o.status === 'FILLED' && Number(o.executedQty) === Number(QTY) &&
			Array.isArray(o.fills) && o.fills.length > 0, 'submitNewOrder MARKET', o,
			'FILLED with its fills');
	});

	for (const tif of ['IOC', 'FOK']) {
		await run(`${K}/submitNewOrder(${tif})`, async () => {
			const o = await submit(tif, { type: 'LIMIT', timeInForce: tif, price: restingBuy() });
			expect(o.status === 'EXPIRED' && Number(o.executedQty) === 0 &&
				o.timeInForce === tif, `submitNewOrder ${tif} under the market`, o,
				'EXPIRED, nothing filled');
		});
	}

	await run(`${K}/submitNewOrder(LIMIT_MAKER)`, async () => {
		// RESULT: a LIMIT_MAKER's reply is ACK by default, as on Binance.
		const o = await submit('LIMIT_MAKER', { type: 'LIMIT_MAKER', price: restingBuy(),
			newOrderRespType: 'RESULT' });
		expect(o.status === 'NEW' && o.type === 'LIMIT_MAKER', 'submitNewOrder LIMIT_MAKER',
			o, 'NEW');
		await cancel(o.orderId);
		let err;
		try {
			const x = await rest.submitNewOrder({ symbol: SYMBOL, side: 'BUY', quantity: QTY,
				type: 'LIMIT_MAKER', price: atTick(price * 1.05) });
			ours.add(x.orderId);
			err = x;
		} catch (e) {
			err = e;
		}
		expect(err && err.code === -2010 && err.message === 'Order would immediately match and take.',
			'submitNewOrder LIMIT_MAKER over the ask', err,
			'-2010 "Order would immediately match and take."');
	});

	// Market streams: the SDK opens bare /stream and subscribes.
	const ws = new WebsocketClient({ ...keys, wsUrl, beautify: false,
		restOptions: { baseUrl } }, quiet);
	const events = collector(ws);
	const topics = ['btcusdt@trade', 'btcusdt@bookTicker', 'btcusdt@ticker',
		'btcusdt@depth10@100ms'];
	const lastException = () => {
		const x = events.filter((m) => m.exception).pop();
		return x ? `; the client's last exception: ${show(x.exception)}` : '';
	};
	const subscribed = await run(`${K}/WebsocketClient.subscribe`, async () => {
		await call('subscribe', () => withDeadline(ws.subscribe(topics, 'main'), 6000,
			'subscribe')).catch((e) => {
			throw new Error(e.message + lastException());
		});
	}, 8000);
	const streamCase = async (name, pred, want) => run(`${K}/WebsocketClient.${name}`, async () => {
		expect(subscribed, 'subscribe', 'no subscription', 'a subscription to read from');
		await waitFor(name, () => eventOf(events, pred), 8000).catch(() => {
			throw new Error(`${name}: no ${want} among ${events.length} events: ` +
				show(events.slice(0, 3)) + lastException());
		});
	});
	await streamCase('trade', (e) => e.e === 'trade' && e.s === SYMBOL && Number(e.p) > 0,
		'trade event of BTCUSDT');
	await streamCase('bookTicker', (e) => e.s === SYMBOL && Number(e.b) > 0 &&
		Number(e.a) >= Number(e.b) && e.u !== undefined, 'bookTicker of BTCUSDT');
	await streamCase('24hrTicker', (e) => e.e === '24hrTicker' && e.s === SYMBOL,
		'24hrTicker of BTCUSDT');
	await streamCase('depth10', (e) => Array.isArray(e.bids) && e.bids.length > 0 &&
		e.lastUpdateId !== undefined, 'partial depth of BTCUSDT');

	// The listenKey user data stream (POST /api/v3/userDataStream, then
	// /ws/<listenKey>), as Binance.US serves it.
	await run(`${K}/WebsocketClient.subscribeSpotUserDataStream`, async () => {
		await call('subscribeSpotUserDataStream', () => withDeadline(
			ws.subscribeSpotUserDataStream(), 6000, 'subscribeSpotUserDataStream'))
			.catch((e) => {
				throw new Error(e.message + lastException());
			});
		const o = await submit('userData', { type: 'LIMIT', timeInForce: 'GTC', price: restingBuy() });
		await waitFor('executionReport', () => eventOf(events, (e) =>
			e.e === 'executionReport' && e.i === o.orderId && e.x === 'NEW'), 8000)
			.catch(() => {
				throw new Error(`no executionReport NEW for ${o.orderId}: ` +
					show(events.filter((m) => m.exception || (m.event ?? m).e !== 'trade').slice(-3)));
			});
		await waitFor('outboundAccountPosition', () => eventOf(events, (e) =>
			e.e === 'outboundAccountPosition'), 4000);
		await cancel(o.orderId);
	});
	ws.closeAll(true);

	// The WebSocket API's user data stream: signed subscription (HMAC), or
	// session.logon then userDataStream.subscribe (Ed25519).
	await run(`${K}/WebsocketAPIClient.subscribeUserDataStream`, async () => {
		const api = new WebsocketAPIClient({ ...keys, wsUrl, beautify: false,
			attachEventListeners: false }, quiet);
		const wsc = api.getWSClient();
		const evs = collector(wsc);
		try {
			await call('subscribeUserDataStream', () => withDeadline(
				api.subscribeUserDataStream('mainWSAPI'), 6000, 'subscribeUserDataStream'))
				.catch((e) => {
					const x = evs.filter((m) => m.exception).pop();
					throw new Error(e.message + (x ? `; the client's last exception: ${show(x.exception)}` : ''));
				});
			const o = await submit('wsapi', { type: 'LIMIT', timeInForce: 'GTC', price: restingBuy() });
			await waitFor('executionReport', () => eventOf(evs, (e) =>
				e.e === 'executionReport' && e.i === o.orderId), 8000).catch(() => {
				throw new Error(`no executionReport for ${o.orderId}: ${show(evs.slice(-3))}`);
			});
			await cancel(o.orderId);
		} finally {
			wsc.closeAll(true);
		}
	});

	for (const id of ours) {
		try {
			await rest.cancelOrder({ symbol: SYMBOL, orderId: id });
		} catch {
			// gone already
		}
	}
};

try {
	await main();
} catch (e) {
	console.log(`FAIL: ${K}: ${show(e)}`);
	process.exitCode = 1;
}
finish('binance');
