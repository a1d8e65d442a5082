// The compiled binding index.js uses: set by tierfs's loader (src/fuse/binding.ts) before it requires
// index.js.
module.exports = { binding: undefined }
