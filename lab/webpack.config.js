// Builds the Reti course's JupyterLab 3.6 into ./build (after JupyterLab's examples/app/webpack.config.js).
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const webpack = require('webpack');
const Build = require('@jupyterlab/builder').Build;
const data = require('./package.json');

// Loaders asking for "md4" fail on OpenSSL 3 (Node >= 17): hash with sha256 instead.
const createHash = crypto.createHash;
crypto.createHash = algorithm => createHash(algorithm === 'md4' ? 'sha256' : algorithm);

const output = path.join(__dirname, 'build');

// MathJax 2 (the renderer of JupyterLab 3.6) from npm, served beside the app instead of from a CDN:
// only what the configuration "TeX-AMS_HTML-full,Safe" loads.
const MATHJAX = ['MathJax.js', 'config/TeX-AMS_HTML-full.js', 'config/Safe.js', 'extensions', 'jax/input/TeX', 'jax/output/HTML-CSS', 'jax/element', 'fonts/HTML-CSS/TeX/woff', 'fonts/HTML-CSS/STIX-Web/woff'];
class CopyMathJaxAndStamp {
  apply(compiler) {
    compiler.hooks.afterEmit.tap('CopyMathJaxAndStamp', () => {
      const from = path.dirname(require.resolve('mathjax/package.json'));
      for (const item of MATHJAX) fs.cpSync(path.join(from, item), path.join(output, 'mathjax', item), { recursive: true });
      // When this build finished (webpack leaves unchanged files untouched): scripts/lib/jupyterlab.ts reads it.
      fs.writeFileSync(path.join(output, 'built.txt'), `${new Date().toISOString()}\n`);
    });
  }
}
// Copies each extension's settings schemas and themes, and writes build/style.js importing every style.
const assets = Build.ensureAssets({
  packageNames: [...data.jupyterlab.extensions, ...data.jupyterlab.mimeExtensions.filter(n => n.startsWith('@jupyterlab/'))],
  output,
  hashFunction: 'sha256'
});

// jupyterlab-plotly loads 'plotly.js/dist/plotly'; package.json's override installs plotly.js-dist-min
// (the course's plotly.js) under that name, a single prebuilt file.
const plotlyDir = path.dirname(require.resolve('plotly.js/package.json', { paths: [path.dirname(require.resolve('jupyterlab-plotly/package.json'))] }));

module.exports = [
  {
    entry: ['whatwg-fetch', './index.js'],
    output: { path: output, filename: 'bundle.js', chunkFilename: '[name].[contenthash:8].js', hashFunction: 'sha256' },
    bail: true,
    devtool: false,
    mode: 'production',
    // No minifier: a quarter of the build time, and the files are served from localhost.
    optimization: { minimize: false },
    performance: { hints: false },
    resolve: { alias: { 'plotly.js/dist/plotly$': path.join(plotlyDir, 'plotly.min.js') } },
    module: {
      noParse: /plotly\.min\.js$/,
      rules: [
        { test: /\.css$/, use: ['style-loader', 'css-loader'] },
        { test: /\.html$/, use: 'file-loader' },
        { test: /\.md$/, use: 'raw-loader' },
        { test: /\.(jpg|png|gif)$/, use: 'file-loader' },
        { test: /\.js.map$/, use: 'file-loader' },
        { test: /\.woff2?(\?v=\d+\.\d+\.\d+)?$/, use: 'url-loader?limit=10000&mimetype=application/font-woff' },
        { test: /\.ttf(\?v=\d+\.\d+\.\d+)?$/, use: 'url-loader?limit=10000&mimetype=application/octet-stream' },
        { test: /\.eot(\?v=\d+\.\d+\.\d+)?$/, use: 'file-loader' },
        // In CSS, svg becomes a data URI; in JS, a string.
        { test: /\.svg(\?v=\d+\.\d+\.\d+)?$/, issuer: /\.css$/, use: { loader: 'svg-url-loader', options: { encoding: 'none', limit: 10000 } } },
        { test: /\.svg(\?v=\d+\.\d+\.\d+)?$/, issuer: /\.js$/, use: { loader: 'raw-loader' } }
      ]
    },
    plugins: [
      new webpack.DefinePlugin({ 'process.env': '{}', process: { cwd: () => '/' } }),
      new CopyMathJaxAndStamp()
    ]
  }
].concat(assets).map(config => ({ ...config, stats: 'errors-warnings' }));
