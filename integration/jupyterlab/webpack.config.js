// webpack configuration of quire's test build of JupyterLab (see setup.sh): one app bundle
// with code-split chunks, not minified (a test build; minifying would double the build time).
const path = require('path');
const webpack = require('webpack');

module.exports = {
  mode: 'production',
  entry: { main: './src/index.js' },
  output: {
    path: path.resolve(process.env.QUIRE_LAB_OUT || 'build', 'static'),
    filename: '[name].js', // index.html loads main.js
    chunkFilename: '[id].[contenthash:12].js',
    // Chunks load from wherever main.js was served (jupyter_server's /static/<app>/).
    publicPath: 'auto',
    clean: true
  },
  optimization: { minimize: false, moduleIds: 'deterministic' },
  devtool: false,
  performance: { hints: false },
  resolve: {
    fallback: { path: require.resolve('path-browserify'), process: require.resolve('process/browser'), url: false, buffer: false, crypto: false, fs: false }
  },
  module: {
    rules: [
      { test: /\.m?js$/, resolve: { fullySpecified: false } },
      { test: /\.css$/, use: ['style-loader', 'css-loader'] },
      // LabIcon imports SVG files as strings; stylesheets refer to them as URLs.
      { test: /\.svg$/, issuer: /\.css$/, type: 'asset/inline' },
      { test: /\.svg$/, issuer: { not: /\.css$/ }, type: 'asset/source' },
      { test: /\.(woff2?|ttf|eot|otf)$/, type: 'asset/resource' },
      { test: /\.(png|jpe?g|gif|ico)$/, type: 'asset/resource' },
      { test: /\.(md|txt)$/, type: 'asset/source' },
      { test: /\.wasm$/, type: 'asset/resource' }
    ]
  },
  plugins: [
    new webpack.ProvidePlugin({ process: 'process/browser' })
  ]
};
