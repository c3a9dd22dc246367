// Top-K metrics of the evaluation protocol (shared/eval/README.md).
export function scoreList(list, target, k) {
  const top = list.slice(0, k);
  let hits = 0;
  let dcg = 0;
  top.forEach((item, r) => {
    if (target.has(item)) {
      hits += 1;
      dcg += 1 / Math.log2(r + 2);
    }
  });
  let idcg = 0;
  for (let r = 0; r < Math.min(k, target.size); r++) idcg += 1 / Math.log2(r + 2);
  return { hr: hits > 0 ? 1 : 0, recall: hits / target.size, ndcg: dcg / idcg };
}

export class Mean {
  constructor() {
    this.n = 0;
    this.sum = { hr: 0, recall: 0, ndcg: 0 };
  }
  add(m) {
    this.n += 1;
    for (const key of Object.keys(this.sum)) this.sum[key] += m[key];
  }
  value() {
    const out = {};
    for (const [key, v] of Object.entries(this.sum)) out[key] = this.n ? Number((v / this.n).toFixed(4)) : 0;
    return out;
  }
}
