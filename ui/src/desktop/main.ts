import { mount } from 'svelte';
import App from './App.svelte';
import '../lib/theme.css';
import './desktop.css';

mount(App, { target: document.getElementById('app')! });
