# GatedGCN + learned graph norm on SBM PATTERN (benchmarking-gnns protocol).
# Run:      make train-graphnorm CONFIG=configs/gatedgcn_learned_pattern.py
# Paper:    GPU; benchmarking-gnns BatchNorm baseline 85.57 ± 0.09 balanced accuracy.
#           This run: not made here (GPU-scale).
# Expected: balanced accuracy around 85.
_base_ = "gatedgcn_learned_cluster.py"
task = "pattern"
num_graphs = (10000, 2000, 2000)  # 100 patterns x (100, 20, 20) graphs
lr_patience = 5
