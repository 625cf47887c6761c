import { mount } from 'svelte';
import '../lib/theme.css';
import { loadCore } from '../lib/core';
import { decodeState } from '../lib/share';
import Playground from './Playground.svelte';

const target = document.getElementById('app')!;
Promise.all([loadCore(), decodeState(location.hash)])
  .then(([core, initial]) => {
    target.textContent = '';
    mount(Playground, { target, props: { core, initial } });
  })
  .catch((e: unknown) => {
    target.textContent = `The Inlet core could not be loaded: ${e instanceof Error ? e.message : String(e)}`;
  });
