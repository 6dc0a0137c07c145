/**
 * Fault injection: a queue of rules, each answering its next `times` matching requests with a chosen
 * status, plus an optional hook consulted first. Rules are tried in order; the first match with
 * answers left wins and loses one answer.
 */
import { matchesRequest } from './patterns';
import type { FakeRequestInfo, FaultReply, FaultRule } from './types';

interface LiveRule {
  rule: FaultRule;
  left: number;
}

export class FaultQueue {
  private rules: LiveRule[] = [];

  public constructor(
    rules: readonly FaultRule[],
    private readonly hook: ((request: FakeRequestInfo) => FaultReply | undefined) | undefined,
  ) {
    this.add(rules);
  }

  public add(rules: readonly FaultRule[]): void {
    for (const rule of rules) this.rules.push({ rule, left: rule.times ?? 1 });
  }

  public clear(): void {
    this.rules = [];
  }

  public get pending(): number {
    return this.rules.filter((live) => live.left > 0).length;
  }

  /** The reply for this request, if a hook or rule claims it. */
  public take(request: FakeRequestInfo): FaultReply | undefined {
    const hooked = this.hook?.(request);
    if (hooked !== undefined) return hooked;
    const live = this.rules.find(
      (candidate) =>
        candidate.left > 0 &&
        matchesRequest(
          { method: candidate.rule.method, path: candidate.rule.path },
          request.method,
          request.path,
        ),
    );
    if (live === undefined) return undefined;
    live.left -= 1;
    this.rules = this.rules.filter((candidate) => candidate.left > 0);
    const { status, body, headers } = live.rule;
    return { status, body, headers };
  }
}
