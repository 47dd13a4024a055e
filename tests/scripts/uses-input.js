({ doubled: input.values.map((x) => x * 2), name: input.name });
