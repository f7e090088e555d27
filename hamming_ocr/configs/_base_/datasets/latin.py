# Latin datasets: the embedded rendered set (mmocr JSON text-recognition format, rendered on first
# use under hamming_ocr/data/) and the real word crops of ../shared/data (evaluation only).
latin_dict_file = '{{ fileDirname }}/../../../dicts/latin90.txt'
latin_dictionary = dict(
    type='Dictionary',
    dict_file=latin_dict_file,
    with_padding=True,
    with_unknown=True,
    same_start_end=True,
    with_start=True,
    with_end=True)

synth_latin_data_root = '{{ fileDirname }}/../../../data/synth_latin'
synth_latin_render = dict(
    fonts=['latin'],  # DejaVu, apt package fonts-dejavu-core
    num_train=10000,
    num_test=500,
    seed=0,
    min_len=3,
    max_len=8,
    font_size=(22, 34),
)
synth_latin_train = dict(
    type='SynthTextRecogDataset',
    data_root=synth_latin_data_root,
    ann_file='textrecog_train.json',
    dict_file=latin_dict_file,
    render=synth_latin_render,
    pipeline=None)
synth_latin_test = dict(
    type='SynthTextRecogDataset',
    data_root=synth_latin_data_root,
    ann_file='textrecog_test.json',
    dict_file=latin_dict_file,
    render=synth_latin_render,
    test_mode=True,
    pipeline=None)

# 10 real scene-word crops from mmocr's test data (see ../shared/data/README.md); labels outside
# the dictionary would be skipped and counted, not silently mapped to <UKN>.
real_crops_test = dict(
    type='CheckedOCRDataset',
    data_root='{{ fileDirname }}/../../../../../shared/data/text_recognition',
    data_prefix=dict(img_path='imgs/'),
    ann_file='labels.json',
    dict_file=latin_dict_file,
    invalid='skip',
    test_mode=True,
    pipeline=None)
