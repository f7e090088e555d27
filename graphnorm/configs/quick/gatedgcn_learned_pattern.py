# Quick CPU run: GatedGCN + learned norm on a small regenerated SBM PATTERN.
# Run:      make train-graphnorm CONFIG=configs/quick/gatedgcn_learned_pattern.py
# Hardware: 1 CPU thread, ~1 min.  Paper: GPU (../gatedgcn_learned_pattern.py).
# Expected: test balanced accuracy well above 50 (2 classes).
_base_ = "gcn_learned_cluster.py"
task = "pattern"
model = "gatedgcn"
num_graphs = (100, 30, 30)
epochs = 10
