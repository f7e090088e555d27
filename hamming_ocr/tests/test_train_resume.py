"""Real short training runs through tools/train.py: checkpoint, weights-only load, resume, eval,
and two gloo processes through torchrun."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
import torch
from conftest import PROJECT, load_tool, tiny_run_options


@pytest.fixture(scope='module')
def trained(tiny_latin_root, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('work')
    train = load_tool('train')
    metrics = train.main(['--work-dir', str(work_dir), '--cfg-options',
                          *tiny_run_options(tiny_latin_root)])
    return work_dir, metrics


def test_training_writes_checkpoint_and_reports_metrics(trained):
    work_dir, metrics = trained
    assert (work_dir / 'iter_4.pth').is_file()
    assert {'SynthLatin/recog/word_acc', 'SynthLatin/recog/char_recall'} <= set(metrics['val'])


def test_checkpoint_loads_with_weights_only(trained):
    work_dir, _ = trained
    checkpoint = torch.load(work_dir / 'iter_4.pth', weights_only=True, map_location='cpu')
    assert checkpoint['meta']['iter'] == 4
    assert 'decoder.classifier.codes' in checkpoint['state_dict']


def test_resume_continues_from_checkpoint(trained, tiny_latin_root, tmp_path):
    # resume in a copy: max_keep_ckpts=1 deletes iter_4.pth, which the other tests read
    work_dir = tmp_path / 'work'
    shutil.copytree(trained[0], work_dir)
    train = load_tool('train')
    options = [o for o in tiny_run_options(tiny_latin_root)
               if not o.startswith(('train_cfg.max_iters', 'train_cfg.val_interval'))]
    train.main(['--work-dir', str(work_dir), '--resume', '--cfg-options', *options,
                'train_cfg.max_iters=6', 'train_cfg.val_interval=6'])
    checkpoint = torch.load(work_dir / 'iter_6.pth', weights_only=True, map_location='cpu')
    assert checkpoint['meta']['iter'] == 6
    log = sorted(work_dir.glob('*/*.log'))[-1].read_text()
    assert 'resumed epoch: 0, iter: 4' in log
    assert 'Iter(train) [5/6]' in log


def test_eval_tool_scores_the_checkpoint(trained, tiny_latin_root):
    work_dir, _ = trained
    evaluate = load_tool('eval')
    options = [o for o in tiny_run_options(tiny_latin_root) if o.startswith('test_dataloader')]
    metrics = evaluate.main(['--checkpoint', str(work_dir / 'iter_4.pth'), '--work-dir',
                             str(work_dir / 'eval'), '--cfg-options', *options])
    assert 0.0 <= metrics['SynthLatin/recog/char_recall'] <= 1.0


def test_unknown_cli_argument_and_config_key_are_errors(tiny_latin_root):
    train = load_tool('train')
    with pytest.raises(SystemExit):
        train.main(['--no-such-flag'])
    with pytest.raises(KeyError, match='do not exist'):
        train.main(['--cfg-options', 'train_cfg.max_itres=3'])


def test_two_gloo_processes_train_through_torchrun(tiny_latin_root, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    command = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2',
               '--master_port', '29517', 'tools/train.py', '--launcher', 'pytorch',
               '--work-dir', str(tmp_path), '--cfg-options',
               *tiny_run_options(tiny_latin_root)]
    result = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True,
                            timeout=240)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert 'Distributed launcher: pytorch' in result.stdout + result.stderr
    assert (tmp_path / 'iter_4.pth').is_file()
