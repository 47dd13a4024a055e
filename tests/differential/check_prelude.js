// What every tests/differential check uses, put before it by `run` (a krepis run is one
// script). A check's completion value maps each section to [case, outcome] pairs: `each`
// makes them, an outcome being data, or the name of the error the case throws.
const outcome = (make) => {
  try {
    return make();
  } catch (error) {
    return `throws ${error.name}`;
  }
};
const each = (inputs, make) => inputs.map((item) => [JSON.stringify(item), outcome(() => make(item))]);
