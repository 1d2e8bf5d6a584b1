#!/usr/bin/env bash
# test-cli-impute.sh — genomap-cli simulate, impute and evaluate: usage, outputs, exit statuses.
. "$(dirname "$0")/cli-lib.sh"

check "help lists simulate" 0 "$cli" --help
expect "help names simulate" "$tmp/out" "simulate"
expect "help names evaluate" "$tmp/out" "evaluate"
expect "help names impute" "$tmp/out" "impute"
check "simulate --help" 0 "$cli" simulate --help
expect "simulate --help explains percent" "$tmp/out" "PERCENT"
check "evaluate --help" 0 "$cli" evaluate --help
expect "evaluate --help explains hold-out" "$tmp/out" "holdout"
check "impute --help" 0 "$cli" impute --help

# usage errors
check "simulate without mode" 2 "$cli" simulate "$data/csr_counts.h5ad" -o "$tmp/o.h5ad"
check "simulate two modes" 2 "$cli" simulate "$data/csr_counts.h5ad" --efficiency 1 --holdout 0.1 -o "$tmp/o.h5ad"
check "simulate without -o" 2 "$cli" simulate "$data/csr_counts.h5ad" --efficiency 1
check "simulate bad alpha" 2 "$cli" simulate "$data/csr_counts.h5ad" --alpha 10 -o "$tmp/o.h5ad"
check "simulate efficiency above 100" 2 "$cli" simulate "$data/csr_counts.h5ad" --efficiency 150 -o "$tmp/o.h5ad"
check "holdout fraction 1" 2 "$cli" simulate "$data/csr_counts.h5ad" --holdout 1 -o "$tmp/o.h5ad"
check "holdout needs h5ad" 2 "$cli" simulate "$data/csr_counts.h5ad" --holdout 0.2 -o "$tmp/o.loom"
check "splat with input" 2 "$cli" simulate "$data/csr_counts.h5ad" --splat -o "$tmp/o.h5ad"
check "impute ernet bad --steps" 2 "$cli" impute "$data/csr_counts.h5ad" --method ernet --steps 0 -o "$tmp/o.h5ad"
expect "ernet --steps message" "$tmp/err" "must be positive"
check "impute unknown method" 2 "$cli" impute "$data/csr_counts.h5ad" --method saver -o "$tmp/o.h5ad"
check "impute needs h5ad" 2 "$cli" impute "$data/csr_counts.h5ad" -o "$tmp/o.csv"
check "evaluate without --imputed" 2 "$cli" evaluate --reference "$data/csr_counts.h5ad"
check "evaluate bad scale" 2 "$cli" evaluate --reference "$data/csr_counts.h5ad" --imputed "$data/csr_counts.h5ad" --scale log
check "missing input" 3 "$cli" simulate "$tmp/nope.h5ad" --efficiency 1 -o "$tmp/o.h5ad"
expect "missing input named" "$tmp/err" "nope.h5ad"
test ! -e "$tmp/o.h5ad" && { pass=$((pass + 1)); echo "ok - no output after errors"; } \
  || { fail=$((fail + 1)); echo "FAIL - output left after errors"; }

# splat reference, deterministic
check "splat" 0 "$cli" simulate --splat --cells 300 --genes 200 --groups 3 --seed 4 -o "$tmp/ref.h5ad"
check "splat again" 0 "$cli" simulate --splat --cells 300 --genes 200 --groups 3 --seed 4 -o "$tmp/ref2.h5ad"
"$cli" convert "$tmp/ref.h5ad" -o "$tmp/ref.csv" 2>/dev/null
"$cli" convert "$tmp/ref2.h5ad" -o "$tmp/ref2.csv" 2>/dev/null
same "splat is deterministic" "$tmp/ref.csv" "$tmp/ref2.csv"
check "info splat" 0 "$cli" info "$tmp/ref.h5ad"
expect "splat counts are integers" "$tmp/out" "integer counts"
expect "splat has groups" "$tmp/out" "Group3"

# SAVER-style observations: --efficiency 0.5 is --alpha 10,2000
check "efficiency" 0 "$cli" simulate "$tmp/ref.h5ad" --efficiency 0.5 --seed 1 -o "$tmp/obs.h5ad"
check "alpha" 0 "$cli" simulate "$tmp/ref.h5ad" --alpha 10,2000 --seed 1 -o "$tmp/obs2.h5ad"
"$cli" convert "$tmp/obs.h5ad" -o "$tmp/obs.csv" 2>/dev/null
"$cli" convert "$tmp/obs2.h5ad" -o "$tmp/obs2.csv" 2>/dev/null
same "--efficiency 0.5 equals --alpha 10,2000" "$tmp/obs.csv" "$tmp/obs2.csv"
check "info obs" 0 "$cli" info --json "$tmp/obs.h5ad"
expect "obs keeps 300 cells" "$tmp/out" '"n_cells": 300'
expect "obs has efficiency" "$tmp/out" '"efficiency"'
expect "obs is integer" "$tmp/out" '"is_integer": true'

# impute and evaluate
check "impute knn" 0 "$cli" impute "$tmp/obs.h5ad" -o "$tmp/knn.h5ad"
check "impute magic" 0 "$cli" impute "$tmp/obs.h5ad" --method magic --threads 1 -o "$tmp/magic.h5ad"
check "info imputed" 0 "$cli" info --json "$tmp/magic.h5ad"
expect "imputed keeps cells" "$tmp/out" '"n_cells": 300'
expect "imputed has a counts layer" "$tmp/out" 'layers'
check "counts layer is the input" 0 "$cli" convert --layer counts "$tmp/magic.h5ad" -o "$tmp/layer.csv"
same "layers/counts equals the observed counts" "$tmp/obs.csv" "$tmp/layer.csv"
check "evaluate" 0 "$cli" evaluate --reference "$tmp/ref.h5ad" --observed "$tmp/obs.h5ad" --imputed "$tmp/magic.h5ad"
expect "evaluate prints the median" "$tmp/out" "median"
expect "evaluate counts improved genes" "$tmp/out" "Improved: "
check "evaluate --json" 0 "$cli" evaluate --json --reference "$tmp/ref.h5ad" --observed "$tmp/obs.h5ad" \
  --imputed "$tmp/knn.h5ad" --per-gene "$tmp/genes.tsv"
expect "json before" "$tmp/out" '"before": {"median"'
expect "json improved" "$tmp/out" '"n_improved"'
expect "per-gene header" "$tmp/genes.tsv" "gene	r_before	r_after	mse_before	mse_after"
[ "$(wc -l < "$tmp/genes.tsv")" -eq 201 ] && { pass=$((pass + 1)); echo "ok - per-gene rows"; } \
  || { fail=$((fail + 1)); echo "FAIL - per-gene rows: $(wc -l < "$tmp/genes.tsv")"; }
check "evaluate identical" 0 "$cli" evaluate --json --scale raw --reference "$tmp/ref.h5ad" --imputed "$tmp/ref.h5ad"
expect "identical gives r = 1" "$tmp/out" '"after": {"median": 1,'
check "evaluate mismatched genes" 3 "$cli" evaluate --reference "$tmp/ref.h5ad" --imputed "$data/csr_counts.h5ad"
expect "mismatch explained" "$tmp/err" "must hold the same"

# undefined r: the fixture has genes that are constant in some data; an all-zero gene is listed
check "evaluate fixture" 0 "$cli" evaluate --json --reference "$data/csr_counts.h5ad" --imputed "$data/csr_counts.h5ad"
expect "undefined listed" "$tmp/out" '"undefined_after": \['

# hold-out
check "holdout" 0 "$cli" simulate "$tmp/obs.h5ad" --holdout 0.1 --seed 2 -o "$tmp/masked.h5ad"
expect "holdout reports" "$tmp/err" "hid "
check "impute masked" 0 "$cli" impute "$tmp/masked.h5ad" --method magic -o "$tmp/masked-magic.h5ad"
check "evaluate holdout" 0 "$cli" evaluate --holdout "$tmp/masked.h5ad" --imputed "$tmp/masked-magic.h5ad"
expect "holdout overall r" "$tmp/out" "overall Pearson r"
# the unmasked counts are a perfect imputation
check "evaluate holdout perfect" 0 "$cli" evaluate --json --holdout "$tmp/masked.h5ad" --imputed "$tmp/obs.h5ad"
expect "perfect hold-out r = 1" "$tmp/out" '"overall_r": 1,'
check "evaluate holdout on a plain file" 3 "$cli" evaluate --holdout "$tmp/obs.h5ad" --imputed "$tmp/obs.h5ad"
check "holdout excludes reference" 2 "$cli" evaluate --holdout "$tmp/masked.h5ad" --reference "$tmp/ref.h5ad" \
  --imputed "$tmp/obs.h5ad"

# ER-Net (tiny model, few steps: fast)
fix="$data/csr_counts.h5ad"
# --device cpu: reproducible on every machine (the device choice itself is
# tested by test-cli-device.sh)
check "impute ernet tiny" 0 "$cli" impute "$fix" --method ernet --model tiny --steps 20 --batch 32 --seed 3 \
  -o "$tmp/ern.h5ad" --save-checkpoint "$tmp/ern.gmernet" --threads 1 --device cpu
expect "ernet reports imputed genes" "$tmp/err" "genes with ernet"
check "ernet output has layers/counts" 0 "$cli" info "$tmp/ern.h5ad" --layer counts
expect "ernet marks imputed genes" "$tmp/out" "genomap_imputed"
expect "ernet attaches the layout" "$tmp/out" "genomap_row"
"$cli" info "$fix" >"$tmp/in-info" 2>/dev/null
grep '^Total:' "$tmp/in-info" >"$tmp/in-total"
grep '^Total:' "$tmp/out" >"$tmp/out-total"
same "ernet layers/counts = input counts" "$tmp/in-total" "$tmp/out-total"
check "ernet apply checkpoint" 0 "$cli" impute "$fix" --method ernet --checkpoint "$tmp/ern.gmernet" \
  -o "$tmp/ern2.h5ad" --threads 1 --device cpu
check "ernet checkpoint result = trained result" 0 "$cli" evaluate --json --scale raw \
  --reference "$tmp/ern.h5ad" --imputed "$tmp/ern2.h5ad"
expect "ernet checkpoint gives the same values" "$tmp/out" '"mean_mse": 0,'
check "ernet --device bogus is a usage error" 2 "$cli" impute "$fix" --method ernet --device gpu -o "$tmp/cuda.h5ad"
expect "ernet --device bogus explains" "$tmp/err" "auto, cpu, cuda or cuda:N"
check "ernet hidden-mse + masked" 0 "$cli" impute "$fix" --method ernet --model tiny --steps 5 --batch 16 \
  --loss hidden-mse --inference masked --device cpu -o "$tmp/hm.h5ad"
check "ernet hidden-mse output readable" 0 "$cli" info "$tmp/hm.h5ad"
# --value-max: recorded in uns, the value scale follows it (halved value range → doubled scale)
check "ernet --value-max 1" 0 "$cli" impute "$fix" --method ernet --model tiny --steps 2 --batch 8 \
  --value-max 1 --device cpu -o "$tmp/vm1.h5ad"
check "ernet --value-max 1 provenance" 0 "$cli" info "$tmp/vm1.h5ad"
expect "ernet --value-max recorded" "$tmp/out" "genomap_impute_value_max"
scale_of () { grep -o 'genomap_impute_value_scale[^0-9]*[0-9.e+-]*' "$1" | grep -o '[0-9][0-9.e+-]*$'; }
s1=$(scale_of "$tmp/out")
"$cli" info "$tmp/hm.h5ad" >"$tmp/out" 2>/dev/null
s05=$(scale_of "$tmp/out")
if awk -v a="$s1" -v b="$s05" 'BEGIN { exit !(a > 0 && (b / a - 2) ^ 2 < 1e-12) }'; then
  pass=$((pass + 1)); echo "ok - the default --value-max 0.5 doubles the value scale ($s1 → $s05)"
else
  fail=$((fail + 1)); echo "FAIL - value scale $s1 (value max 1) vs $s05 (default)"
fi
check "ernet bad --value-max" 2 "$cli" impute "$fix" --method ernet --value-max 2 -o "$tmp/x.h5ad"
expect "ernet bad --value-max explains" "$tmp/err" "(0, 1]"
# --gene-head: recorded, kept in the checkpoint (re-applied to the same values)
check "ernet --gene-head 4" 0 "$cli" impute "$fix" --method ernet --model tiny --steps 5 --batch 8 --gene-head 4 \
  --loss mse --device cpu -o "$tmp/gh.h5ad" --save-checkpoint "$tmp/gh.gmernet"
check "ernet --gene-head provenance" 0 "$cli" info "$tmp/gh.h5ad"
expect "ernet --gene-head recorded" "$tmp/out" "genomap_impute_gene_head"
check "ernet gene-head checkpoint" 0 "$cli" impute "$fix" --method ernet --checkpoint "$tmp/gh.gmernet" \
  --device cpu -o "$tmp/gh2.h5ad"
check "ernet gene-head checkpoint result" 0 "$cli" evaluate --json --scale raw --reference "$tmp/gh.h5ad" \
  --imputed "$tmp/gh2.h5ad"
expect "ernet gene-head checkpoint gives the same values" "$tmp/out" '"mean_mse": 0,'
check "ernet --gene-head with --checkpoint" 2 "$cli" impute "$fix" --method ernet --checkpoint "$tmp/gh.gmernet" \
  --gene-head 4 -o "$tmp/x.h5ad"
check "ernet bad --gene-head" 2 "$cli" impute "$fix" --method ernet --gene-head -3 -o "$tmp/x.h5ad"
expect "ernet bad --gene-head explains" "$tmp/err" "0 (off) to 4096"
# --target neighbours: trains, recorded in uns; bad values and misuse are usage errors
check "ernet --target neighbours" 0 "$cli" impute "$fix" --method ernet --model tiny --steps 3 --batch 8 \
  --target neighbours --target-k 5 --gene-head 4 --loss mse --device cpu -o "$tmp/nb.h5ad"
check "ernet --target provenance" 0 "$cli" info "$tmp/nb.h5ad"
expect "ernet --target recorded" "$tmp/out" "genomap_impute_target  *neighbours"
expect "ernet --target-k recorded" "$tmp/out" "genomap_impute_target_k  *5"
# the default recipe is neighbours; --recipe tcer is the published training
check "ernet default recipe" 0 "$cli" impute "$fix" --method ernet --model tiny --steps 2 --batch 8 --device cpu -o "$tmp/dr.h5ad"
check "ernet default recipe provenance" 0 "$cli" info "$tmp/dr.h5ad"
expect "ernet default target" "$tmp/out" "genomap_impute_target  *neighbours"
expect "ernet default k" "$tmp/out" "genomap_impute_target_k  *30"
expect "ernet default loss" "$tmp/out" "genomap_impute_loss  *mse"
expect "ernet default head" "$tmp/out" "genomap_impute_gene_head  *16"
check "ernet --recipe tcer" 0 "$cli" impute "$fix" --method ernet --model tiny --steps 2 --batch 8 --recipe tcer --device cpu -o "$tmp/tc.h5ad"
check "ernet --recipe tcer provenance" 0 "$cli" info "$tmp/tc.h5ad"
expect "ernet tcer target" "$tmp/out" "genomap_impute_target  *self"
expect "ernet tcer loss" "$tmp/out" "genomap_impute_loss  *paper"
expect "ernet tcer head" "$tmp/out" "genomap_impute_gene_head  *0"
expect "ernet tcer lr" "$tmp/out" "genomap_impute_lr  *0.0002"
check "ernet bad --recipe" 2 "$cli" impute "$fix" --method ernet --recipe magic -o "$tmp/x.h5ad"
expect "ernet bad --recipe explains" "$tmp/err" "neighbours or tcer"
check "ernet bad --target" 2 "$cli" impute "$fix" --method ernet --target others -o "$tmp/x.h5ad"
expect "ernet bad --target explains" "$tmp/err" "self or neighbours"
check "ernet --target-k without neighbours" 2 "$cli" impute "$fix" --method ernet --target self --target-k 5 -o "$tmp/x.h5ad"
expect "ernet --target-k without neighbours explains" "$tmp/err" "--target neighbours only"
check "ernet --target-sigma-k without neighbours" 2 "$cli" impute "$fix" --method ernet --target self --target-sigma-k 5 -o "$tmp/x.h5ad"
check "ernet negative --target-sigma-k" 2 "$cli" impute "$fix" --method ernet --target-sigma-k -4 -o "$tmp/x.h5ad"
check "ernet --target-sigma-k" 0 "$cli" impute "$fix" --method ernet --model tiny --steps 2 --batch 8 --target-sigma-k 3 --device cpu -o "$tmp/sg.h5ad"
check "ernet --target-k 0" 2 "$cli" impute "$fix" --method ernet --target neighbours --target-k 0 -o "$tmp/x.h5ad"
check "ernet --target with --checkpoint" 2 "$cli" impute "$fix" --method ernet --checkpoint "$tmp/gh.gmernet" \
  --target neighbours -o "$tmp/x.h5ad"
check "ernet --target-k above the cells" 3 "$cli" impute "$fix" --method ernet --model tiny --steps 2 \
  --target neighbours --target-k 100000 --device cpu -o "$tmp/x.h5ad"
expect "ernet --target-k above the cells explains" "$tmp/err" "100000 neighbours"
check "ernet bad --loss" 2 "$cli" impute "$fix" --method ernet --loss l3 -o "$tmp/x.h5ad"
expect "ernet bad --loss explains" "$tmp/err" "paper, mse or hidden-mse"
check "ernet bad --inference" 2 "$cli" impute "$fix" --method ernet --inference twice -o "$tmp/x.h5ad"
expect "ernet bad --inference explains" "$tmp/err" "direct or masked"
check "ernet bad --model" 2 "$cli" impute "$fix" --method ernet --model huge -o "$tmp/x.h5ad"
check "ernet options need ernet" 2 "$cli" impute "$fix" --method knn --steps 5 -o "$tmp/x.h5ad"
printf 'GMERNET1 this is not a model' >"$tmp/bad.gmernet"
check "ernet corrupt checkpoint" 3 "$cli" impute "$fix" --method ernet --checkpoint "$tmp/bad.gmernet" -o "$tmp/x.h5ad"
expect "ernet corrupt checkpoint names the file" "$tmp/err" "bad.gmernet"
[ -e "$tmp/x.h5ad" ] && { fail=$((fail + 1)); echo "FAIL - a failed ernet run wrote an output"; } \
  || { pass=$((pass + 1)); echo "ok - failed ernet runs write nothing"; }

ls -a "$tmp" | grep -q '\.tmp-' && { fail=$((fail + 1)); echo "FAIL - temporary file left"; } \
  || { pass=$((pass + 1)); echo "ok - no temporary files left"; }

echo "# $pass passed, $fail failed"
[ "$fail" -eq 0 ]
