import type { AdmissionEntry, AdmissionQueue } from '../../lambdas/core/ports';

/** The admission queue in memory, with the DynamoDB adapter's semantics: for fast use-case tests. */
export class MemoryAdmissionQueue implements AdmissionQueue {
  public readonly entries = new Map<string, AdmissionEntry>();
  private nextTicket = 0;

  public get held(): number {
    return [...this.entries.values()].filter((e) => e.state === 'admitted').length;
  }

  public get(flowId: string): Promise<AdmissionEntry | undefined> {
    const entry = this.entries.get(flowId);
    return Promise.resolve(entry && { ...entry });
  }

  public async enqueue(flowId: string, tenantCode: string, now: string): Promise<AdmissionEntry> {
    const existing = this.entries.get(flowId);
    if (existing && existing.state !== 'dropped') return { ...existing };
    this.nextTicket += 1;
    const entry: AdmissionEntry = {
      flowId,
      tenantCode,
      ticket: this.nextTicket,
      state: 'waiting',
      enqueuedAt: now,
      lastSeenAt: now,
    };
    this.entries.set(flowId, entry);
    return Promise.resolve({ ...entry });
  }

  public heartbeat(entry: AdmissionEntry, now: string): Promise<boolean> {
    const current = this.entries.get(entry.flowId);
    if (current?.state !== 'waiting' || current.ticket !== entry.ticket) return Promise.resolve(false);
    current.lastSeenAt = now;
    return Promise.resolve(true);
  }

  public head(limit: number): Promise<{ held: number; waiting: AdmissionEntry[] }> {
    const waiting = [...this.entries.values()]
      .filter((e) => e.state === 'waiting')
      .sort((a, b) => a.ticket - b.ticket)
      .slice(0, limit)
      .map((e) => ({ ...e }));
    return Promise.resolve({ held: this.held, waiting });
  }

  public admit(entry: AdmissionEntry, cap: number, now: string): Promise<'admitted' | 'full' | 'gone'> {
    const current = this.entries.get(entry.flowId);
    if (current?.state !== 'waiting' || current.ticket !== entry.ticket) return Promise.resolve('gone');
    if (this.held >= cap) return Promise.resolve('full');
    current.state = 'admitted';
    current.admittedAt = now;
    return Promise.resolve('admitted');
  }

  public drop(entry: AdmissionEntry): Promise<boolean> {
    const current = this.entries.get(entry.flowId);
    if (current?.state !== 'waiting' || current.lastSeenAt !== entry.lastSeenAt)
      return Promise.resolve(false);
    current.state = 'dropped';
    return Promise.resolve(true);
  }

  public release(flowId: string): Promise<boolean> {
    const current = this.entries.get(flowId);
    if (current?.state !== 'waiting' && current?.state !== 'admitted') return Promise.resolve(false);
    current.state = 'released';
    return Promise.resolve(true);
  }

  public holders(): Promise<AdmissionEntry[]> {
    return Promise.resolve([...this.entries.values()].filter((e) => e.state === 'admitted'));
  }
}
