// The policy editor's "what changes": the draft and the version it would replace, both put through
// the contract's own encoding (calle.v1.PolicyBundle) and written as YAML, then compared line by
// line. Normalising both sides through the bundle means a diff shows only real changes: a default
// the operator spelled out ("offsetMin: 0"), key order or JSON-versus-YAML make no line differ.
import { stringify } from 'yaml';
import { v1, type calle } from '../../proto/index.js';
import { documentOf } from '../policies/policy-document.js';
import type { PolicyDraft } from '../policies/policy-publisher.js';

export interface DiffLine {
  /** ' ' unchanged, '-' only in the current version, '+' only in the draft. */
  readonly op: ' ' | '-' | '+';
  readonly text: string;
}

/** The authored form of a draft or a stored bundle, as YAML. */
export function policyYaml(policy: PolicyDraft | calle.v1.PolicyBundle): string {
  const bundle = policy instanceof v1.PolicyBundle ? policy : v1.PolicyBundle.fromObject(policy);
  return stringify(documentOf(bundle), { lineWidth: 0 });
}

/**
 * Line diff by longest common subsequence: O(n·m) time and memory, fine for documents of a few
 * hundred lines (the API limits a policy body to 256 KiB; the editor's drafts are far smaller).
 */
export function diffLines(before: string, after: string): DiffLine[] {
  const a = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const b = after === '' ? [] : after.replace(/\n$/, '').split('\n');
  const n = a.length;
  const m = b.length;
  // lcs[i][j]: length of the LCS of a[i..] and b[j..], in one flat array.
  const lcs = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i * (m + 1) + j] =
        a[i] === b[j]
          ? lcs[(i + 1) * (m + 1) + j + 1]! + 1
          : Math.max(lcs[(i + 1) * (m + 1) + j]!, lcs[i * (m + 1) + j + 1]!);
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', text: a[i]! });
      i++;
      j++;
    } else if (lcs[(i + 1) * (m + 1) + j]! >= lcs[i * (m + 1) + j + 1]!) out.push({ op: '-', text: a[i++]! });
    else out.push({ op: '+', text: b[j++]! });
  }
  while (i < n) out.push({ op: '-', text: a[i++]! });
  while (j < m) out.push({ op: '+', text: b[j++]! });
  return out;
}
