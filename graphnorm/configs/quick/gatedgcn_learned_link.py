# Quick CPU run: GatedGCN + learned norm, link prediction (which k-NN edges are in the MST).
# Run:      make train-graphnorm CONFIG=configs/quick/gatedgcn_learned_link.py
# Hardware: 1 CPU thread, ~10 s.  Paper: TSP on GPU (../gatedgcn_learned_link.py).
# Expected: positive-class test F1 ~75 (about 20% of the edges are positive).
task = "link"
num_graphs = (300, 60, 60)
model = "gatedgcn"
norm = "learned"
num_layers = 4  # L
hidden = 32
epochs = 10
batch_size = 16
lr = 3e-3
lr_patience = 5
seed = 41
