// refprice.mjs - a reference price from the simulator's raw
// <symbol>@bookTicker stream (a form every version of it serves), so that
// the orders the checks place rest below the market or cross it as meant,
// whatever the clients under test can or cannot fetch.
import WebSocket from 'ws';

export const refPrice = (host, symbol, ms = 10000) =>
	new Promise((resolve, reject) => {
		const ws = new WebSocket(`wss://${host}/ws/${symbol}@bookTicker`);
		const timer = setTimeout(() => {
			ws.terminate();
			reject(new Error(`no ${symbol}@bookTicker event in ${ms} ms`));
		}, ms);
		ws.on('message', (data) => {
			let ev;
			try {
				ev = JSON.parse(data.toString());
			} catch {
				return;
			}
			const bid = Number(ev.b), ask = Number(ev.a);
			if (bid > 0 && ask > 0) {
				clearTimeout(timer);
				ws.close();
				resolve((bid + ask) / 2);
			}
		});
		ws.on('error', (e) => {
			clearTimeout(timer);
			reject(new Error(`${symbol}@bookTicker: ${e.message}`));
		});
	});
