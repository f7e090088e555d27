# Quick CPU run: GatedGCN + learned norm, graph regression on ZINC-like generated graphs.
# Run:      make train-graphnorm CONFIG=configs/quick/gatedgcn_learned_graph-reg.py
# Hardware: 1 CPU thread, ~10 s.  Paper: ZINC on GPU (../gatedgcn_learned_graph-reg.py).
# Expected: test MAE well below the 0.31 of predicting the training mean.
task = "graph_reg"
num_graphs = (1000, 200, 200)
model = "gatedgcn"
norm = "learned"
num_layers = 4  # L
hidden = 32
epochs = 15
batch_size = 32
lr = 3e-3
lr_patience = 5
seed = 41
