"""The inference measurement behind tools/bench.py, on the small quick models (in-process)."""

from __future__ import annotations

from conftest import LATIN_DICT, PROJECT

from hamming_ocr.experiments import measure_inference

QUICK = PROJECT / 'configs' / 'quick'


def test_measure_inference_reports_throughput_memory_and_size():
    results = {}
    for name in ('master', 'hamming-ocr'):
        config = QUICK / f'{name}_mini-resnet_1xb32-2000it_synth-latin.py'
        results[name] = measure_inference(str(config), str(LATIN_DICT), batch_size=2, batches=1,
                                          device='cpu', threads=1)
    for r in results.values():
        assert r['images_per_s'] > 0 and r['peak_rss_mb'] > 0 and r['params'] > 0
        assert r['size_mb'] > r['params'] * 4 / 2**20 * 0.99  # fp32 parameters (+ buffers)
    # at 90 characters the Hamming head (+ 64-bit code buffer) is not larger than softmax's
    assert results['hamming-ocr']['params'] < results['master']['params']
