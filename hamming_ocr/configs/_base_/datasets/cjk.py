# CJK dataset: rendered lines of hanzi with real CJK fonts (apt packages fonts-noto-cjk and
# fonts-wqy-zenhei). The dictionary holds 20,000 characters (GB 2312 first, then the rest of
# U+4E00-U+9FA5); the texts of this CPU-sized set draw from a seeded subset of
# `text_charset_size` of them, while the classifier still decides among all 20,000 (+3 specials).
cjk_dict_file = '{{ fileDirname }}/../../../dicts/cjk_20000.txt'
cjk_dictionary = dict(
    type='Dictionary',
    dict_file=cjk_dict_file,
    with_padding=True,
    with_unknown=True,
    same_start_end=True,
    with_start=True,
    with_end=True)

synth_cjk_data_root = '{{ fileDirname }}/../../../data/synth_cjk'
synth_cjk_render = dict(
    fonts=['cjk'],
    num_train=10000,
    num_test=500,
    seed=0,
    min_len=2,
    max_len=4,
    text_charset_size=300,
    font_size=(24, 34),
)
synth_cjk_train = dict(
    type='SynthTextRecogDataset',
    data_root=synth_cjk_data_root,
    ann_file='textrecog_train.json',
    dict_file=cjk_dict_file,
    render=synth_cjk_render,
    pipeline=None)
synth_cjk_test = dict(
    type='SynthTextRecogDataset',
    data_root=synth_cjk_data_root,
    ann_file='textrecog_test.json',
    dict_file=cjk_dict_file,
    render=synth_cjk_render,
    test_mode=True,
    pipeline=None)
