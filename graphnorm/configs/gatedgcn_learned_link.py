# GatedGCN + learned graph norm, link prediction on k-NN point clouds (is an edge in the
# minimum spanning tree?), the CPU-generated analogue of benchmarking-gnns TSP.
# Run:      make train-graphnorm CONFIG=configs/gatedgcn_learned_link.py
# Paper:    TSP on GPU; its numbers do not transfer to this generated task.
#           This run: not made here at this size.
# Expected: positive-class F1 well above the quick config's.
_base_ = "gatedgcn_learned_cluster.py"
task = "link"
num_graphs = (10000, 1000, 1000)
lr_patience = 10
