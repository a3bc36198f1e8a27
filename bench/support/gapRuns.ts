import type { ArrivalServer } from './arrivalServer.js';
import type { DriverHarness } from './driverHarness.js';
import { vegeta } from './peers.js';

/** The driver's TSUNAMI run, then vegeta at the same rate and count, each read at `server`. */
export async function tsunamiArrivals(harness: DriverHarness, server: ArrivalServer, gapMs: number, requests: number): Promise<{ stampede: number[]; vegeta: number[] }> {
  await server.reset();
  await harness.run({ test_type: 'TSUNAMI', test_message_delay: gapMs, message_count_per_driver: requests, target_url: server.url });
  const stampede = await server.arrivalsMs();
  await server.reset();
  await vegeta(server.url, 1000 / gapMs, (requests * gapMs) / 1000);
  return { stampede, vegeta: await server.arrivalsMs() };
}

/** abs(gap − gapMs) of every two consecutive arrivals, smallest first. */
export function gapDeviations(arrivalsMs: number[], gapMs: number): number[] {
  return arrivalsMs
    .slice(1)
    .map((t, i) => Math.abs(t - arrivalsMs[i]! - gapMs))
    .sort((a, b) => a - b);
}
