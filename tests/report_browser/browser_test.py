"""The HTML report, rendered by a real browser (headless Chromium), shows what a reader needs.

A 50-layer dump pair (NumPy: 48 [1, 32, 400] layers and two audio layers; the candidate scaled by
1.02 from layer 20 on, the audio with noise added) is diffed by `verify --html --json --junit`.
Checks: the HTML is at most 3 MB and self-contained (no external src/href); Chromium's DOM after
scripts ran holds the first-divergence block naming layer 20, the error plot with its
first-divergence marker, heat map images (PNG data URIs) for the layers around the divergence, and
the module tree with the path to the divergence open; a screenshot renders; JSON and JUnit keep
every layer. A second, audio-only pair checks the spectrograms and the waveform overlay.

Usage: browser_test.py VERIFY_BINARY
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

import numpy as np

VERIFY = os.path.abspath(sys.argv.pop(1))
TMP = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def chromium(*args):
    profile = tempfile.mkdtemp(dir=TMP)
    p = subprocess.run([CHROMIUM] + FLAGS + ["--user-data-dir=" + profile] + list(args),
                       capture_output=True, text=True, timeout=120)
    return p


def dumps():
    rng = np.random.default_rng(0)
    ref, cand = {}, {}
    x = rng.standard_normal((1, 32, 400)).astype(np.float32)
    for i in range(48):
        x = np.tanh(x + 0.1 * rng.standard_normal(x.shape)).astype(np.float32)
        name = "blocks.%d.%s" % (i // 3, ["conv", "act", "norm"][i % 3])
        ref[name] = x.copy()
        cand[name] = x * np.float32(1.02 if i >= 20 else 1.0)
    t = np.arange(8000) / 16000.0
    a = (0.5 * np.sin(2 * np.pi * 440 * t) * np.exp(-3 * t)).astype(np.float32)[None, None, :]
    noisy = (a * 1.02 + 0.01 * rng.standard_normal(a.shape)).astype(np.float32)
    ref["vocoder.out"], cand["vocoder.out"] = a, noisy
    ref["audio"], cand["audio"] = a, noisy
    return ref, cand


class BrowserTest(unittest.TestCase):
    def setUp(self):
        self.assertTrue(os.path.exists(CHROMIUM),
                        "Chromium is not installed (tools/setup.sh installs the chromium package)")

    def run_verify(self, ref, cand, tag):
        rp, cp = os.path.join(TMP, tag + "_ref.npz"), os.path.join(TMP, tag + "_cand.npz")
        np.savez(rp, **ref)
        np.savez(cp, **cand)
        out = {k: os.path.join(TMP, "%s.%s" % (tag, k)) for k in ("html", "json", "xml")}
        p = subprocess.run([VERIFY, "--layer-diff", "--reference", rp, "--candidate", cp,
                            "--html", out["html"], "--json", out["json"], "--junit", out["xml"],
                            "--color", "never"], capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        return out, p.stdout

    def test_fifty_layer_failing_report(self):
        ref, cand = dumps()
        out, text = self.run_verify(ref, cand, "fifty")
        with open(out["html"]) as f:
            html = f.read()
        self.assertLessEqual(os.path.getsize(out["html"]), 3 * 1024 * 1024)
        self.assertIsNone(re.search(r'(src|href)="(?!data:|#)', html), "not self-contained")
        with open(out["json"]) as f:
            report = json.load(f)
        self.assertEqual(len(report["layers"]), 50)
        self.assertEqual(report["first_divergence"], "blocks.6.norm")
        self.assertEqual(sum(1 for _ in ET.parse(out["xml"]).getroot().iter("testcase")), 50)
        # The terminal table stops a few layers after the divergence.
        self.assertIn("later layers", text)
        self.assertLess(len(text.splitlines()), 40)

        p = chromium("--dump-dom", "file://" + out["html"])
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        dom = p.stdout
        block = re.search(r'<div id="first-divergence">(.*?)</div>', dom, re.S)
        self.assertIsNotNone(block, dom[:2000])
        self.assertIn("First divergence: blocks.6.norm", block.group(1))
        self.assertIn("scaled by 1.02", block.group(1))
        self.assertRegex(dom, r'<div id="error-plot"><svg')
        self.assertIn('id="first-divergence-marker"', dom)
        heat = re.findall(r'<img class="heat" src="data:image/png;base64,', dom)
        self.assertGreaterEqual(len(heat), 9)   # 3 per layer, the divergence and its neighbours
        self.assertLessEqual(len(heat), 15)     # not every layer's
        self.assertRegex(dom, r'<details open=""><summary><span>blocks.6</span>')
        shot = os.path.join(TMP, "fifty.png")
        p = chromium("--screenshot=" + shot, "--window-size=1300,2400", "file://" + out["html"])
        self.assertTrue(os.path.exists(shot) and os.path.getsize(shot) > 20000, p.stderr[-2000:])
        with open(shot, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_audio_layers_show_spectrograms_and_waveforms(self):
        ref, cand = dumps()
        keys = ["vocoder.out", "audio"]
        out, _ = self.run_verify({k: ref[k] for k in keys}, {k: cand[k] for k in keys}, "audio")
        p = chromium("--dump-dom", "file://" + out["html"])
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        self.assertEqual(len(re.findall(r'<img class="spec" src="data:image/png;base64,', p.stdout)), 4)
        self.assertGreaterEqual(p.stdout.count('<svg class="wave"'), 2)
        self.assertIn("spectral convergence", p.stdout)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
