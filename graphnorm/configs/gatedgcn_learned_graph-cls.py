# GatedGCN + learned graph norm, graph classification of random-graph families.
# Run:      make train-graphnorm CONFIG=configs/gatedgcn_learned_graph-cls.py
# Paper:    superpixel MNIST/CIFAR10 on GPU (not reproducible offline); generated stand-in.
#           This run: not made here at this size.
# Expected: accuracy above the quick config's.
_base_ = "gatedgcn_learned_cluster.py"
task = "graph_cls"
num_graphs = (10000, 1000, 1000)
lr_patience = 10
