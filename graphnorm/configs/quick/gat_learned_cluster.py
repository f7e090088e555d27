# Quick CPU run: GAT (8 heads) + learned norm on small SBM CLUSTER.
# Run:      make train-graphnorm CONFIG=configs/quick/gat_learned_cluster.py
# Hardware: 1 CPU thread, < 1 min.  Paper: GPU (../gat_learned_cluster.py).
# Expected: test balanced accuracy ~35-55.
_base_ = "gcn_learned_cluster.py"
model = "gat"
heads = 8
