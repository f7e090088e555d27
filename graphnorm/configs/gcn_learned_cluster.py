# GCN + learned graph norm on SBM CLUSTER.
# Run:      make train-graphnorm CONFIG=configs/gcn_learned_cluster.py
# Paper:    GPU; benchmarking-gnns BatchNorm baseline 68.50 ± 0.98 balanced accuracy.
#           This run: not made here (GPU-scale).
# Expected: balanced accuracy in the high 60s.
_base_ = "gatedgcn_learned_cluster.py"
model = "gcn"
hidden = 146  # ~100k parameters, as the benchmark's GCN CLUSTER config
