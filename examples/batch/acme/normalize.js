// A JSON transformation: the job's input (normalize.json beside it) is the global `input`.
input.contacts
  .filter((contact) => contact.email)
  .map((contact) => ({
    name: contact.name.trim().replace(/\s+/g, ' '),
    email: contact.email.toLowerCase(),
  }));
