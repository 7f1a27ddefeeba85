import { readFile } from 'node:fs/promises';

/** docker's per-interface stats object. */
export interface InterfaceStats {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

async function counter(link: string, name: string): Promise<number> {
  return Number((await readFile(`/sys/class/net/${link}/statistics/${name}`, 'utf8').catch(() => '0')).trim()) || 0;
}

/**
 * A container interface's counters, read on the host end of its veth: what the host end
 * receives the container sent, so rx and tx swap.
 */
export async function vethStats(hostEnd: string): Promise<InterfaceStats> {
  const [rb, rp, re, rd, tb, tp, te, td] = await Promise.all(
    ['tx_bytes', 'tx_packets', 'tx_errors', 'tx_dropped', 'rx_bytes', 'rx_packets', 'rx_errors', 'rx_dropped'].map((n) => counter(hostEnd, n)),
  );
  return { rx_bytes: rb ?? 0, rx_packets: rp ?? 0, rx_errors: re ?? 0, rx_dropped: rd ?? 0, tx_bytes: tb ?? 0, tx_packets: tp ?? 0, tx_errors: te ?? 0, tx_dropped: td ?? 0 };
}
