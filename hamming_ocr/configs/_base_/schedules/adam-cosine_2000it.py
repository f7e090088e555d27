# Runtime + schedule for CPU-sized runs: mmocr's text-recognition runtime, Adam with linear warm-up
# and cosine decay, iteration based, one validation and one checkpoint at the end.
_base_ = ['mmocr::textrecog/_base_/default_runtime.py']

max_iters = 2000
warmup_iters = 100

# lr 2e-3: the schedule is short; the recognisers read words after ~1,500 iterations with it
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=2e-3), clip_grad=dict(max_norm=5.0))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, end=warmup_iters, by_epoch=False),
    dict(type='CosineAnnealingLR', begin=warmup_iters, end=max_iters, eta_min=1e-5,
         by_epoch=False),
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
