// DOMException, Event, EventTarget, AbortController and AbortSignal, as the WHATWG DOM and
// WebIDL standards define them, for krepis's runs. Built into the binary and evaluated in a
// run's context the first time a script reads one of these globals (core/ops/js_builtins).
// The completion value is a function of the host's helpers; it returns the exports.
// Internal state is in private fields, so a script cannot forge or reach it; a method called
// on the wrong object throws a TypeError, as WebIDL's brand checks do.
(function webEvents(host) {
  'use strict';
  const { defineProperty, freeze } = Object;
  const illegal = (what) => {
    throw new TypeError(`Illegal invocation: ${what} called on an object that is not one`);
  };
  // Getters and methods enumerable on the prototype, as WebIDL makes them, with a
  // Symbol.toStringTag.
  const webidl = (klass, name) => {
    const proto = klass.prototype;
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === 'constructor') continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, key);
      descriptor.enumerable = true;
      defineProperty(proto, key, descriptor);
    }
    defineProperty(proto, Symbol.toStringTag, { value: name, configurable: true });
  };

  // ---- DOMException ----------------------------------------------------------------------
  const legacyCodes = {
    __proto__: null,
    IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4,
    InvalidCharacterError: 5, NoModificationAllowedError: 7, NotFoundError: 8,
    NotSupportedError: 9, InUseAttributeError: 10, InvalidStateError: 11, SyntaxError: 12,
    InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15,
    TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20,
    URLMismatchError: 21, QuotaExceededError: 22, TimeoutError: 23,
    InvalidNodeTypeError: 24, DataCloneError: 25,
  };
  const codeNames = [
    'INDEX_SIZE_ERR', 'DOMSTRING_SIZE_ERR', 'HIERARCHY_REQUEST_ERR', 'WRONG_DOCUMENT_ERR',
    'INVALID_CHARACTER_ERR', 'NO_DATA_ALLOWED_ERR', 'NO_MODIFICATION_ALLOWED_ERR',
    'NOT_FOUND_ERR', 'NOT_SUPPORTED_ERR', 'INUSE_ATTRIBUTE_ERR', 'INVALID_STATE_ERR',
    'SYNTAX_ERR', 'INVALID_MODIFICATION_ERR', 'NAMESPACE_ERR', 'INVALID_ACCESS_ERR',
    'VALIDATION_ERR', 'TYPE_MISMATCH_ERR', 'SECURITY_ERR', 'NETWORK_ERR', 'ABORT_ERR',
    'URL_MISMATCH_ERR', 'QUOTA_EXCEEDED_ERR', 'TIMEOUT_ERR', 'INVALID_NODE_TYPE_ERR',
    'DATA_CLONE_ERR',
  ];
  // A real Error underneath (as V8 sees it), so that reports, inspection and V8's own
  // messages show it as one; name and message are also own properties, as an Error's message
  // is, since those readers take only data properties.
  class DOMException extends Error {
    #name;
    #message;
    constructor(message = '', options = 'Error') {
      const text = `${message}`;
      super(text);
      this.#message = text;
      this.#name = `${options}`;
      defineProperty(this, 'name', { value: this.#name, writable: true, configurable: true });
      Error.captureStackTrace(this, DOMException);
    }
    get name() { return #name in this ? this.#name : illegal('DOMException.name'); }
    get message() { return #message in this ? this.#message : illegal('DOMException.message'); }
    get code() {
      if (!(#name in this)) illegal('DOMException.code');
      return legacyCodes[this.#name] ?? 0;
    }
  }
  webidl(DOMException, 'DOMException');
  codeNames.forEach((name, index) => {
    const constant = { value: index + 1, enumerable: true };
    defineProperty(DOMException, name, constant);
    defineProperty(DOMException.prototype, name, constant);
  });

  // ---- Event -----------------------------------------------------------------------------
  const NONE = 0, AT_TARGET = 2;
  // What dispatch needs to read and set on an event, unreachable from the script.
  let beginDispatch;
  let endDispatch;
  let inPassiveListener;
  let stopped;
  let stopsImmediately;
  class Event {
    #type;
    #bubbles;
    #cancelable;
    #composed;
    #timeStamp = host.now();
    #target = null;
    #currentTarget = null;
    #phase = NONE;
    #canceled = false;
    #stopped = false;
    #stoppedImmediately = false;
    #passive = false;
    #dispatching = false;
    constructor(type, init = undefined) {
      if (arguments.length === 0) {
        throw new TypeError("Failed to construct 'Event': 1 argument required, but only 0 present.");
      }
      if (init !== undefined && init !== null && typeof init !== 'object' && typeof init !== 'function') {
        throw new TypeError("Failed to construct 'Event': the event's options must be an object.");
      }
      this.#type = `${type}`;
      this.#bubbles = !!init?.bubbles;
      this.#cancelable = !!init?.cancelable;
      this.#composed = !!init?.composed;
    }
    static {
      // False when the event is being dispatched already.
      beginDispatch = (event, target) => {
        if (event.#dispatching) return false;
        event.#dispatching = true;
        event.#target = target;
        event.#currentTarget = target;
        event.#phase = AT_TARGET;
        return true;
      };
      // As the standard's dispatch ends: the target stays, the rest is reset.
      endDispatch = (event) => {
        event.#currentTarget = null;
        event.#phase = NONE;
        event.#dispatching = false;
        event.#stopped = event.#stoppedImmediately = false;
      };
      inPassiveListener = (event, passive) => { event.#passive = passive; };
      stopped = (event) => event.#stopped;
      stopsImmediately = (event) => event.#stoppedImmediately;
    }
    static isEvent(value) { return typeof value === 'object' && value !== null && #type in value; }
    get type() { return #type in this ? this.#type : illegal('Event.type'); }
    get target() { return #type in this ? this.#target : illegal('Event.target'); }
    get srcElement() { return #type in this ? this.#target : illegal('Event.srcElement'); }
    get currentTarget() { return #type in this ? this.#currentTarget : illegal('Event.currentTarget'); }
    composedPath() {
      if (!(#type in this)) illegal('Event.composedPath');
      return this.#dispatching && this.#currentTarget !== null ? [this.#currentTarget] : [];
    }
    get eventPhase() { return #type in this ? this.#phase : illegal('Event.eventPhase'); }
    stopPropagation() {
      if (!(#type in this)) illegal('Event.stopPropagation');
      this.#stopped = true;
    }
    get cancelBubble() { return #type in this ? this.#stopped : illegal('Event.cancelBubble'); }
    set cancelBubble(value) {
      if (!(#type in this)) illegal('Event.cancelBubble');
      if (value) this.#stopped = true;
    }
    stopImmediatePropagation() {
      if (!(#type in this)) illegal('Event.stopImmediatePropagation');
      this.#stopped = this.#stoppedImmediately = true;
    }
    get bubbles() { return #type in this ? this.#bubbles : illegal('Event.bubbles'); }
    get cancelable() { return #type in this ? this.#cancelable : illegal('Event.cancelable'); }
    get returnValue() { return #type in this ? !this.#canceled : illegal('Event.returnValue'); }
    set returnValue(value) {
      if (!(#type in this)) illegal('Event.returnValue');
      if (!value && this.#cancelable && !this.#passive) this.#canceled = true;
    }
    preventDefault() {
      if (!(#type in this)) illegal('Event.preventDefault');
      if (this.#cancelable && !this.#passive) this.#canceled = true;
    }
    get defaultPrevented() { return #type in this ? this.#canceled : illegal('Event.defaultPrevented'); }
    get composed() { return #type in this ? this.#composed : illegal('Event.composed'); }
    get isTrusted() { return #type in this ? false : illegal('Event.isTrusted'); }
    get timeStamp() { return #type in this ? this.#timeStamp : illegal('Event.timeStamp'); }
  }
  webidl(Event, 'Event');
  ['NONE', 'CAPTURING_PHASE', 'AT_TARGET', 'BUBBLING_PHASE'].forEach((name, value) => {
    defineProperty(Event, name, { value, enumerable: true });
    defineProperty(Event.prototype, name, { value, enumerable: true });
  });
  const isEvent = Event.isEvent;
  delete Event.isEvent;

  // ---- EventTarget -----------------------------------------------------------------------
  const flatten = (options) =>
    typeof options === 'boolean' ? options : !!(options !== null && typeof options === 'object' && options.capture);
  // Removes a listener from its target: the abort algorithm of a listener added with a signal.
  let removeAllFor;
  class EventTarget {
    // type -> array of {callback, capture, once, passive, removed}
    #listeners = new Map();
    static {
      removeAllFor = (target, type, callback, capture) => target.#remove(type, callback, capture);
    }
    addEventListener(type, callback, options = undefined) {
      if (!(#listeners in this)) illegal('EventTarget.addEventListener');
      if (arguments.length < 2) {
        throw new TypeError("Failed to execute 'addEventListener' on 'EventTarget': 2 arguments required.");
      }
      if (callback === null || callback === undefined) return;
      if (typeof callback !== 'function' && typeof callback !== 'object') {
        throw new TypeError("Failed to execute 'addEventListener' on 'EventTarget': the listener is neither a function nor an object.");
      }
      type = `${type}`;
      const capture = flatten(options);
      const object = options !== null && typeof options === 'object' ? options : {};
      const once = !!object.once;
      const passive = !!object.passive;
      const signal = object.signal;
      if (signal !== undefined && !isSignal(signal)) {
        throw new TypeError("Failed to execute 'addEventListener' on 'EventTarget': member signal is not of type AbortSignal.");
      }
      if (signal?.aborted) return;
      let list = this.#listeners.get(type);
      if (list === undefined) this.#listeners.set(type, (list = []));
      if (list.some((l) => l.callback === callback && l.capture === capture)) return;
      const listener = { callback, capture, once, passive, removed: false, signal, onAbort: null };
      list.push(listener);
      if (signal !== undefined) {
        // An abort algorithm of the signal, not a listener of it: it runs whatever its
        // listeners do, and leaves with this listener.
        listener.onAbort = () => removeAllFor(this, type, callback, capture);
        addAbortAlgorithm(signal, listener.onAbort);
      }
    }
    #remove(type, callback, capture) {
      const list = this.#listeners.get(type);
      if (list === undefined) return;
      const index = list.findIndex((l) => l.callback === callback && l.capture === capture);
      if (index < 0) return;
      const [listener] = list.splice(index, 1);
      listener.removed = true;
      if (listener.onAbort !== null) removeAbortAlgorithm(listener.signal, listener.onAbort);
    }
    removeEventListener(type, callback, options = undefined) {
      if (!(#listeners in this)) illegal('EventTarget.removeEventListener');
      if (arguments.length < 2) {
        throw new TypeError("Failed to execute 'removeEventListener' on 'EventTarget': 2 arguments required.");
      }
      this.#remove(`${type}`, callback, flatten(options));
    }
    dispatchEvent(event) {
      if (!(#listeners in this)) illegal('EventTarget.dispatchEvent');
      if (!isEvent(event)) {
        throw new TypeError("Failed to execute 'dispatchEvent' on 'EventTarget': parameter 1 is not of type 'Event'.");
      }
      if (!beginDispatch(event, this)) {
        throw new host.DOMException('The event is already being dispatched.', 'InvalidStateError');
      }
      try {
        // A copy: listeners added during dispatch do not run in it; removed ones do not. An
        // event whose propagation was stopped before dispatch reaches no listener.
        const list = this.#listeners.get(event.type);
        for (const listener of list === undefined || stopped(event) ? [] : [...list]) {
          if (listener.removed) continue;
          if (listener.once) this.#remove(event.type, listener.callback, listener.capture);
          inPassiveListener(event, listener.passive);
          try {
            const { callback } = listener;
            if (typeof callback === 'function') {
              callback.call(this, event);
            } else {
              const handleEvent = callback.handleEvent;
              if (typeof handleEvent !== 'function') {
                throw new TypeError("The listener's handleEvent is not a function.");
              }
              handleEvent.call(callback, event);
            }
          } catch (error) {
            // As a browser reports it and goes on with the next listener; the run fails.
            host.reportError(error);
          }
          inPassiveListener(event, false);
          if (stopsImmediately(event)) break;
        }
      } finally {
        endDispatch(event);
      }
      return !event.defaultPrevented;
    }
  }
  webidl(EventTarget, 'EventTarget');

  // ---- AbortSignal, AbortController --------------------------------------------------------
  let isSignal;
  let abortSignal;
  let newSignal;
  let addAbortAlgorithm;
  let removeAbortAlgorithm;
  const constructing = Symbol('constructing');
  class AbortSignal extends EventTarget {
    #aborted = false;
    #reason = undefined;
    #onabort = null;
    // Signals of AbortSignal.any that follow this one.
    #dependents = [];
    // The standard's abort algorithms: run on abort, before the abort event.
    #algorithms = new Set();
    constructor(key) {
      if (key !== constructing) throw new TypeError('Illegal constructor');
      super();
    }
    static {
      isSignal = (value) => typeof value === 'object' && value !== null && #aborted in value;
      newSignal = () => new AbortSignal(constructing);
      addAbortAlgorithm = (signal, algorithm) => { signal.#algorithms.add(algorithm); };
      removeAbortAlgorithm = (signal, algorithm) => { signal.#algorithms.delete(algorithm); };
      abortSignal = (signal, reason) => {
        if (signal.#aborted) return;
        signal.#aborted = true;
        signal.#reason = reason !== undefined ? reason
          : new host.DOMException('This operation was aborted', 'AbortError');
        const dependents = signal.#dependents;
        signal.#dependents = [];
        const algorithms = [...signal.#algorithms];
        signal.#algorithms.clear();
        for (const algorithm of algorithms) algorithm();
        const event = new Event('abort');
        signal.dispatchEvent(event);
        for (const dependent of dependents) abortSignal(dependent, signal.#reason);
      };
    }
    get aborted() { return #aborted in this ? this.#aborted : illegal('AbortSignal.aborted'); }
    get reason() { return #aborted in this ? this.#reason : illegal('AbortSignal.reason'); }
    throwIfAborted() {
      if (!(#aborted in this)) illegal('AbortSignal.throwIfAborted');
      if (this.#aborted) throw this.#reason;
    }
    get onabort() { return #aborted in this ? this.#onabort : illegal('AbortSignal.onabort'); }
    set onabort(handler) {
      if (!(#aborted in this)) illegal('AbortSignal.onabort');
      if (this.#onabort !== null) this.removeEventListener('abort', this.#onabort);
      this.#onabort = typeof handler === 'function' ? handler : null;
      if (this.#onabort !== null) this.addEventListener('abort', this.#onabort);
    }
    static abort(reason = undefined) {
      const signal = newSignal();
      abortSignal(signal, reason);
      return signal;
    }
    static timeout(milliseconds) {
      const ms = Number(milliseconds);
      if (!Number.isFinite(ms) || ms < 0 || ms > Number.MAX_SAFE_INTEGER) {
        throw new TypeError(`AbortSignal.timeout: ${milliseconds} is not a delay in milliseconds.`);
      }
      const signal = newSignal();
      // On the run's timers, without keeping the run alive (as Node's are unref'd).
      host.backgroundTimeout(() => {
        abortSignal(signal, new host.DOMException('The operation was aborted due to timeout', 'TimeoutError'));
      }, ms);
      return signal;
    }
    static any(signals) {
      const list = [...signals];
      for (const signal of list) {
        if (!isSignal(signal)) throw new TypeError('AbortSignal.any: every member must be an AbortSignal.');
      }
      const result = newSignal();
      for (const signal of list) {
        if (signal.#aborted) {
          abortSignal(result, signal.#reason);
          return result;
        }
      }
      for (const signal of list) signal.#dependents.push(result);
      return result;
    }
  }
  webidl(AbortSignal, 'AbortSignal');

  class AbortController {
    #signal = newSignal();
    get signal() { return #signal in this ? this.#signal : illegal('AbortController.signal'); }
    abort(reason = undefined) {
      if (!(#signal in this)) illegal('AbortController.abort');
      abortSignal(this.#signal, reason);
    }
  }
  webidl(AbortController, 'AbortController');

  host.DOMException = DOMException;
  return freeze({ DOMException, Event, EventTarget, AbortSignal, AbortController });
})
