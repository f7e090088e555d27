# Quick CPU run: GatedGCN (the paper's main backbone) + learned norm on small SBM CLUSTER.
# Run:      make train-graphnorm CONFIG=configs/quick/gatedgcn_learned_cluster.py
# Hardware: 1 CPU thread, ~1 min.  Paper: GPU (../gatedgcn_learned_cluster.py).
# Expected: test balanced accuracy ~40-60.
_base_ = "gcn_learned_cluster.py"
model = "gatedgcn"
num_graphs = (100, 30, 30)
epochs = 10
