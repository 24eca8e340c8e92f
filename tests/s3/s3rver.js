// Starts @20minutes/s3rver (it ships no bin/ script). Flags as its cli.js takes them, e.g.
//   node tests/s3/s3rver.js --directory D --address 127.0.0.1 --port P --configure-bucket B --silent
require('@20minutes/s3rver/lib/cli.js').parseAsync(process.argv);
