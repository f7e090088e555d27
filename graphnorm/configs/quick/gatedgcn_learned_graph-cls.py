# Quick CPU run: GatedGCN + learned norm, graph classification of random-graph families.
# Run:      make train-graphnorm CONFIG=configs/quick/gatedgcn_learned_graph-cls.py
# Hardware: 1 CPU thread, ~10 s.  Paper: superpixels on GPU (../gatedgcn_learned_graph-cls.py).
# Expected: test accuracy well above 25 (4 balanced classes).
task = "graph_cls"
num_graphs = (600, 150, 150)
model = "gatedgcn"
norm = "learned"
num_layers = 4  # L
hidden = 32
epochs = 15
batch_size = 32
lr = 3e-3
lr_patience = 5
seed = 41
