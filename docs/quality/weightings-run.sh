#!/bin/bash
# Every weighting on Bank Marketing + balance (README: "Every weighting method on Bank +
# balance"): single-task baselines once, then MMoE under each weighting, 3 seeds.
set -euo pipefail
cd "$(dirname "$0")/../.."
npx trunkline train --config docs/quality/bank-balance.json --arch mmoe --seeds 1,2,3 --baselines-only --out runs/weightings/base --no-progress
for w in equal fixed mean max uncertainty gradnorm gradnorm-full dwa rlw famo pcgrad gradvac graddrop mgda cagrad nash-mtl imtl imtl-g aligned-mtl db-mtl; do
  npx trunkline train --config docs/quality/bank-balance.json --arch mmoe --seeds 1,2,3 --no-baselines --weighting "$w" --out "runs/weightings/$w" --no-progress
done
