// db_saver.js TARGET N: saves a JSON state N times, 1 ms apart, the way
// node programs do (fs.writeFileSync to a temporary file, fs.renameSync
// onto the state file).  Save i is {"seq": i, ...}.
const fs = require('fs');
const [path, n] = [process.argv[2], Number(process.argv[3])];
const tmp = path + '.tmp';
let i = 0;
function save() {
	const state = { seq: i, items: Array.from({ length: 40 }, (_, j) => ({ k: j, v: 'x'.repeat(20) })) };
	fs.writeFileSync(tmp, JSON.stringify(state));
	fs.renameSync(tmp, path);
	if (++i < n)
		setTimeout(save, 1);
}
save();
