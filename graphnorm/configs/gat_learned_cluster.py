# GAT + learned graph norm on SBM CLUSTER (norm over heads x out channels).
# Run:      make train-graphnorm CONFIG=configs/gat_learned_cluster.py
# Paper:    GPU; benchmarking-gnns BatchNorm baseline 70.59 ± 0.45 balanced accuracy.
#           This run: not made here (GPU-scale).
# Expected: balanced accuracy around 70.
_base_ = "gatedgcn_learned_cluster.py"
model = "gat"
hidden = 152  # 8 heads x 19 channels
heads = 8
